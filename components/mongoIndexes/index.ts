export * from "./catalog";
export * from "./plan";
export * from "./provider";
export * from "./resource";
export * from "./mongoIndexes";
