export * from "./mspkit.js";
