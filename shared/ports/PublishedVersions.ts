/** A published version, as a walk over all of them visits it. */
export interface StoredVersion {
  id: number;
  name: string;
  version: string;
  sha256: string;
}

/** Every published version, whatever its registry, for maintenance (the reprocessing command); never for requests. */
export interface PublishedVersions {
  /** How many versions are published. */
  count(): Promise<number>;
  /** Published versions with ids above `afterId`, in id order, at most `limit`. */
  after(afterId: number, limit: number): Promise<StoredVersion[]>;
}
