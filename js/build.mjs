// Bundle every widget: each folder of src/ but lib/ is one widget (named as its Python module
// in sfapi_jupyter/widgets/), built from its index.ts and style.css into
// sfapi_jupyter/widgets/static/<widget>.js and <widget>.css. Adding a widget needs no edit
// here: the entries are the folders. Only what index.ts imports is bundled, so the tests
// (*.test.ts, lib/testing/) never reach the package. No code splitting: anywidget loads each
// bundle on its own, and split chunks would be fetched from relative paths it does not serve.
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as esbuild from "esbuild";

const outdir = "../sfapi_jupyter/widgets/static";
const watch = process.argv.includes("--watch");
const widgets = readdirSync("src", { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && entry.name !== "lib")
  .map((entry) => entry.name)
  .sort();
for (const widget of widgets) {
  for (const file of ["index.ts", "style.css"]) {
    if (!existsSync(`src/${widget}/${file}`))
      throw new Error(`src/${widget}/ has no ${file}: every widget folder needs both`);
  }
}
const entryPoints = widgets.flatMap((widget) => [
  { in: `src/${widget}/index.ts`, out: widget },
  { in: `src/${widget}/style.css`, out: widget },
]);
// Outputs of widgets that no longer exist (or of the old shared styles.css) would be shipped.
const wanted = new Set(widgets.flatMap((widget) => [`${widget}.js`, `${widget}.css`]));
if (existsSync(outdir)) {
  for (const name of readdirSync(outdir)) {
    if (/\.(js|css)$/.test(name) && !wanted.has(name)) rmSync(`${outdir}/${name}`);
  }
}
const options = {
  entryPoints,
  bundle: true,
  format: "esm",
  target: "es2020",
  outdir,
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  logLevel: "warning",
};
if (watch) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
