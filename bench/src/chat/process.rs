//! The processes measured: the load program's own open-files limit, and the server's (or our own)
//! resident memory and CPU time, read from `/proc`.

/// Raises this process's soft open-files limit to the hard one (std has no `setrlimit`, so with
/// util-linux `prlimit` on our own pid); returns the soft limit then in force.
pub(super) fn raise_fd_limit() -> anyhow::Result<String> {
    let read = || -> anyhow::Result<(String, String)> {
        let limits = std::fs::read_to_string("/proc/self/limits")?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"));
        let fields: Vec<&str> = line.unwrap_or_default().split_whitespace().collect();
        match fields.get(3..5) {
            Some([soft, hard]) => Ok((soft.to_string(), hard.to_string())),
            _ => anyhow::bail!("/proc/self/limits has no open-files line"),
        }
    };
    let (soft, hard) = read()?;
    if soft != hard {
        let status = std::process::Command::new("prlimit")
            .arg(format!("--pid={}", std::process::id()))
            .arg(format!("--nofile={hard}:{hard}"))
            .status()?;
        anyhow::ensure!(
            status.success(),
            "prlimit could not raise the open-files limit"
        );
    }
    Ok(read()?.0)
}

/// The resident memory (KiB) and CPU time (ticks, user + system) of process `pid` ("self" too).
pub(super) fn usage(pid: &str) -> anyhow::Result<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/status has no VmRSS"))?;
    // After the parenthesised command name the fields start at 3 (state): utime, stime are 14, 15.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let mut ticks = 0;
    for field in fields.get(11..13).unwrap_or_default() {
        ticks += field.parse::<u64>()?;
    }
    Ok((rss, ticks))
}

/// The pid of the `folio serve` whose command line names `port`.
pub(super) fn find_server(port: &str) -> Option<u32> {
    let own = std::process::id();
    std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|&pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<String> = cmdline
                .split(|&b| b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            pid != own
                && args.first().is_some_and(|a| a.ends_with("folio"))
                && args.iter().any(|a| a == "serve")
                && args.iter().any(|a| a.ends_with(&format!(":{port}")))
        })
}
