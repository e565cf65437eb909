// Types of daemon/build.mjs (plain JavaScript: bin.mjs loads it before anything is compiled).
export declare const SOURCES: string;
export declare const BUILD: string;
export declare function staleSource(): string | null;
