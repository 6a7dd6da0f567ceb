export * from "../../../facts/indexes";
export * from "./plan";
export * from "./provider";
export * from "./resource";
export * from "./mongoIndexes";
