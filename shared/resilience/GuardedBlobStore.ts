import type { BlobDownload, BlobReader, BlobStore, StagedBlob } from '../ports/BlobStore.js';
import type { StoreGuard } from './StoreGuard.js';

/** A BlobReader whose calls go through the blobs StoreGuard. */
export class GuardedBlobReader implements BlobReader {
  constructor(
    protected readonly inner: BlobReader,
    protected readonly guard: StoreGuard,
  ) {}

  download(sha256: string): Promise<BlobDownload | null> {
    return this.guard.run(() => this.inner.download(sha256));
  }

  read(sha256: string): Promise<Uint8Array | null> {
    return this.guard.run(() => this.inner.read(sha256));
  }

  ping(): Promise<void> {
    return this.guard.run(() => this.inner.ping());
  }
}

/** A BlobStore whose calls go through the blobs StoreGuard. */
export class GuardedBlobStore extends GuardedBlobReader implements BlobStore {
  constructor(
    private readonly store: BlobStore,
    guard: StoreGuard,
  ) {
    super(store, guard);
  }

  put(sha256: string, bytes: Uint8Array): Promise<void> {
    return this.guard.run(() => this.store.put(sha256, bytes));
  }

  async stage(sha256: string, bytes: Uint8Array): Promise<StagedBlob> {
    const staged = await this.guard.run(() => this.store.stage(sha256, bytes));
    if (!staged.staged) return staged; // nothing written, nothing to call
    return {
      staged: true,
      promote: () => this.guard.run(() => staged.promote()),
      discard: () => this.guard.run(() => staged.discard()),
    };
  }
}
