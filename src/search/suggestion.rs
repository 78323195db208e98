//! The type-ahead ranking both backends share. Each backend runs its own query for candidate books
//! and offers their authors and titles here; this decides which of them match the typed prefix,
//! keeps each author once, and ranks them the same way whichever index found them.
use super::{Suggestion, words};

/// How good a candidate is, best first: the order of the variants is the order of the list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    /// An author whose whole name starts with the prefix ("Mel" → "Mel Brooks").
    WholePrefixAuthor,
    /// A title that starts with the whole prefix.
    WholePrefixTitle,
    /// An author with a later word of the name starting with the last typed word
    /// ("Mel" → "Herman Melville").
    WordPrefixAuthor,
    /// A title that matches only from a later word.
    WordPrefixTitle,
}

/// Collects the suggestions for one typed prefix and ranks them: whole-prefix matches (authors,
/// then titles), then word-prefix matches, each group in the order its candidates were offered.
#[derive(Debug)]
pub(crate) struct SuggestionRanking {
    /// The prefix as typed, trimmed and lower-cased: what a whole name or title must start with.
    wanted: String,
    /// The prefix's words ([`words`]); never empty.
    typed: Vec<String>,
    candidates: Vec<(Rank, Suggestion)>,
}

impl SuggestionRanking {
    /// A ranking for `prefix`, or `None` when it has no letters or digits and nothing can match.
    pub(crate) fn for_prefix(prefix: &str) -> Option<Self> {
        let typed = words(prefix);
        (!typed.is_empty()).then(|| SuggestionRanking {
            wanted: prefix.trim().to_lowercase(),
            typed,
            candidates: Vec::new(),
        })
    }

    /// Every typed word, lower-cased; the last one may be unfinished.
    pub(crate) fn words(&self) -> &[String] {
        &self.typed
    }

    /// The words typed before the last one: finished, so a candidate must hold them whole.
    pub(crate) fn earlier_words(&self) -> &[String] {
        &self.typed[..self.typed.len() - 1]
    }

    /// The last typed word, which a candidate need only start with.
    pub(crate) fn last_word(&self) -> &str {
        self.typed.last().map_or("", String::as_str)
    }

    /// Offers one author of a candidate book. Kept if the whole name starts with the prefix or a
    /// word of it starts with the last typed word: a book can match through a co-author, and the
    /// others must not be suggested. An author already kept (from another book) is skipped.
    pub(crate) fn offer_author(&mut self, name: &str, author_id: i64) {
        let lower = name.to_lowercase();
        let whole = lower.starts_with(&self.wanted);
        let matches = whole
            || lower
                .split_whitespace()
                .any(|word| word.starts_with(self.last_word()));
        let known = self.candidates.iter().any(
            |(_, s)| matches!(s, Suggestion::Author { author_id: known, .. } if *known == author_id),
        );
        if matches && !known {
            let rank = if whole {
                Rank::WholePrefixAuthor
            } else {
                Rank::WordPrefixAuthor
            };
            let text = name.to_owned();
            self.candidates
                .push((rank, Suggestion::Author { text, author_id }));
        }
    }

    /// Offers the title of a candidate book. It is taken as matching: a backend whose query can
    /// match a book by its authors alone checks [`Self::title_matches`] first.
    pub(crate) fn offer_title(&mut self, title: &str, book_id: i64) {
        let rank = if title.to_lowercase().starts_with(&self.wanted) {
            Rank::WholePrefixTitle
        } else {
            Rank::WordPrefixTitle
        };
        let text = title.to_owned();
        self.candidates
            .push((rank, Suggestion::Title { text, book_id }));
    }

    /// Whether `title` itself matches: it holds every earlier word whole, and a word starting with
    /// the last one.
    pub(crate) fn title_matches(&self, title: &str) -> bool {
        let title_words = words(title);
        self.earlier_words().iter().all(|w| title_words.contains(w))
            && title_words.iter().any(|w| w.starts_with(self.last_word()))
    }

    /// The best `limit` suggestions, best first.
    pub(crate) fn ranked(mut self, limit: usize) -> Vec<Suggestion> {
        // Stable: within a rank, candidates keep the order the backend found them in (its score).
        self.candidates.sort_by_key(|(rank, _)| *rank);
        self.candidates
            .into_iter()
            .take(limit)
            .map(|(_, suggestion)| suggestion)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(id: i64, text: &str) -> Suggestion {
        Suggestion::Author {
            text: text.into(),
            author_id: id,
        }
    }

    fn title(id: i64, text: &str) -> Suggestion {
        Suggestion::Title {
            text: text.into(),
            book_id: id,
        }
    }

    fn ranking(prefix: &str) -> SuggestionRanking {
        SuggestionRanking::for_prefix(prefix).expect("the prefix has words")
    }

    #[test]
    fn whole_prefix_matches_come_first_with_authors_before_titles() {
        let mut mel = ranking("Mel");
        mel.offer_title("The Melody", 14);
        mel.offer_author("Herman Melville", 1);
        mel.offer_title("Melancholy Tales", 11);
        mel.offer_author("Mel Brooks", 3);
        assert_eq!(
            mel.ranked(10),
            [
                author(3, "Mel Brooks"),
                title(11, "Melancholy Tales"),
                author(1, "Herman Melville"),
                title(14, "The Melody"),
            ]
        );
    }

    #[test]
    fn candidates_of_the_same_rank_keep_the_order_they_were_offered_in() {
        let mut mel = ranking("mel");
        mel.offer_title("Melody", 2);
        mel.offer_title("Melancholy", 1);
        mel.offer_author("Melville", 9);
        mel.offer_author("Melanie Klein", 8);
        assert_eq!(
            mel.ranked(10),
            [
                author(9, "Melville"),
                author(8, "Melanie Klein"),
                title(2, "Melody"),
                title(1, "Melancholy"),
            ]
        );
    }

    #[test]
    fn an_author_of_several_matching_books_is_suggested_once() {
        let mut mel = ranking("mel");
        mel.offer_author("Herman Melville", 1);
        mel.offer_title("Moby-Dick", 10);
        mel.offer_author("Herman Melville", 1);
        mel.offer_title("Billy Budd", 12);
        assert_eq!(
            mel.ranked(10),
            [
                author(1, "Herman Melville"),
                title(10, "Moby-Dick"),
                title(12, "Billy Budd"),
            ]
        );
    }

    #[test]
    fn a_co_author_whose_name_does_not_match_is_not_suggested() {
        let mut mel = ranking("mel");
        mel.offer_author("Mel Brooks", 3);
        mel.offer_author("Anne Bancroft", 4);
        assert_eq!(mel.ranked(10), [author(3, "Mel Brooks")]);
    }

    #[test]
    fn a_name_matches_whatever_the_case_of_the_prefix() {
        let mut mel = ranking("  MEL br ");
        mel.offer_author("Mel Brooks", 3);
        mel.offer_author("Herman Melville", 1);
        assert_eq!(mel.ranked(10), [author(3, "Mel Brooks")]);
    }

    #[test]
    fn the_list_stops_at_the_limit_and_keeps_the_best() {
        let mut mel = ranking("mel");
        mel.offer_title("The Melody", 14);
        mel.offer_author("Herman Melville", 1);
        mel.offer_title("Melancholy Tales", 11);
        mel.offer_author("Mel Brooks", 3);
        assert_eq!(
            mel.ranked(2),
            [author(3, "Mel Brooks"), title(11, "Melancholy Tales")]
        );
    }

    #[test]
    fn a_prefix_without_letters_or_digits_suggests_nothing() {
        assert!(SuggestionRanking::for_prefix("  -- ").is_none());
        assert!(SuggestionRanking::for_prefix("").is_none());
    }

    #[test]
    fn the_last_typed_word_is_the_unfinished_one() {
        let moby = ranking("Moby-Dick, the wh");
        assert_eq!(moby.words(), ["moby", "dick", "the", "wh"]);
        assert_eq!(moby.earlier_words(), ["moby", "dick", "the"]);
        assert_eq!(moby.last_word(), "wh");
    }

    #[test]
    fn a_title_matches_when_it_holds_the_earlier_words_and_one_starting_with_the_last() {
        let moby = ranking("dick wh");
        assert!(moby.title_matches("Moby-Dick; or, The Whale"));
        assert!(
            !moby.title_matches("The Whale"),
            "an earlier word is missing"
        );
        assert!(
            !moby.title_matches("Moby-Dick"),
            "no word starts with the last"
        );
        assert!(
            !moby.title_matches("Dickens on whaling"),
            "an earlier word must be whole"
        );
    }
}
