// Files embedded into the compiled binary through import attributes.
declare module "*.sql" {
  const text: string;
  export default text;
}

declare module "*/standalone.js" {
  /** Path of the embedded file (`with { type: "file" }`). */
  const path: string;
  export default path;
}
