export * from "./audit";
export * from "./accounts";
export * from "./sessions";
export * from "./keys";
export * from "./usage";
export * from "./billing";
export * from "./privacy";
export * from "./dataKeys";
