// Hand-made package archives for tests: the same builders the benchmark uses.
export { file, packageArchive, tarOf, tgzOf, type Entry } from '../../scripts/bench/archives.js';
