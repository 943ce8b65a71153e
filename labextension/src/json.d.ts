// The palette files live in the Python package (sfapi_jupyter/widgets/*.json), read by the
// widgets too; the bundler inlines them at build time. Typed in palette.ts.
declare module '*.json' {
  const value: unknown;
  export default value;
}
