/** dist/skiff.mjs, the bundle of `npm run build`. */
export declare const bundle: string;
/** The bundle is newer than every file under src/ and than package-lock.json. */
export declare function bundleIsFresh(): boolean;
