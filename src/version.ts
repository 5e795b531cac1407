/** jobgraph's version, reported by `--version`, and the instance registry. */
export const VERSION = "0.1.0";
