// The dashboard's build: a static bundle in web/dist that the server serves at "/".
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  plugins: [react()],
  build: {
    outDir: process.env.JOBGRAPH_WEB_OUT ?? "dist",
    emptyOutDir: true,
    // the first load carries only what the overview needs; the chart library loads with the task page
    chunkSizeWarningLimit: 400,
    reportCompressedSize: false,
  },
});
