// Hand-made package archives for tests: the same builders the benchmark uses.
export { archiveOf, file, gzipMember, manifestFor, packageArchive, tarOf, tgzOf, type Entry, type GzipHeaderFields } from '../../scripts/bench/archives.js';
