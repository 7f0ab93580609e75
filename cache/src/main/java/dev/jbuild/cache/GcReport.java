package dev.jbuild.cache;

/**
 * What a garbage collection did.
 *
 * @param removedBlobs blobs deleted
 * @param freedBytes their total size
 * @param keptReferenced blobs kept because a tag or a root refers to them
 * @param keptRecent unreferenced blobs kept because they are newer than the grace period
 * @param removedTempFiles stale partial writes deleted from {@code tmp/}
 */
public record GcReport(
    int removedBlobs, long freedBytes, int keptReferenced, int keptRecent, int removedTempFiles) {}
