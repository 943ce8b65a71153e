// Bundle every widget: each src/<widget>.ts (one per widget, named as its Python module in
// sfapi_jupyter/widgets/) and styles.css into sfapi_jupyter/widgets/static/. Adding a widget
// needs no edit here: the entries are the .ts files at the top of src/.
import { readdirSync } from "node:fs";
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const entryPoints = readdirSync("src")
  .filter((name) => name.endsWith(".ts") || name === "styles.css")
  .map((name) => `src/${name}`);
const options = {
  entryPoints,
  bundle: true,
  format: "esm",
  target: "es2020",
  outdir: "../sfapi_jupyter/widgets/static",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  logLevel: "warning",
};
if (watch) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
