import { defineConfig } from 'vite';

// No @vitejs/plugin-react: esbuild compiles the JSX with React's automatic runtime.
export default defineConfig({
  base: '/',
  esbuild: {
    jsx: 'automatic',
  },
  // `npm run dev`: hot-reloading page, with /graphql (HTTP and WebSocket) sent to a local Folio.
  server: {
    host: '127.0.0.1',
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:8080', ws: true },
    },
  },
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    emptyOutDir: true,
    minify: true,
    sourcemap: false,
    // GraphiQL + CodeMirror + graphql-js make one large-ish chunk; that is expected.
    chunkSizeWarningLimit: 3000,
    rollupOptions: {
      // One file: GraphiQL loads CodeMirror and its addons with dynamic imports, a dozen requests
      // made one after another once the page shows; until they are done its Execute button does
      // nothing when clicked. Bundled in, they are there as soon as the page is.
      output: { inlineDynamicImports: true },
      onwarn(warning, warn) {
        // Radix UI ships "use client" directives, which mean nothing in a plain browser bundle.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
});
