/**
 * Writing and applying OCI layer tars.
 *
 * <ul>
 *   <li>{@link dev.jbuild.layer.LayerWriter}: a deterministic PAX tar of {@link
 *       dev.jbuild.layer.LayerEntry} values (COPY/ADD) or of an overlayfs upper dir (RUN),
 *       compressed with gzip, zstd or nothing ({@link dev.jbuild.layer.Compression}); diffID,
 *       digest and size come back as a {@link dev.jbuild.layer.LayerBlob}.
 *   <li>{@link dev.jbuild.layer.LayerReader}: the entries of a layer blob, checked and with
 *       their whiteout meaning ({@link dev.jbuild.layer.Whiteouts}).
 *   <li>{@link dev.jbuild.layer.LayerApplier}: a layer applied onto a directory, flattened or
 *       as an overlay lower dir, every path resolved inside the target.
 *   <li>{@link dev.jbuild.layer.LayerStack}: several layers merged into a virtual tree without
 *       extracting them (COPY --from a stage that has no RUN).
 * </ul>
 *
 * <p>The tar reader and writer are our own rather than commons-compress: its PAX reader decodes
 * values as UTF-8, which corrupts binary xattrs such as {@code security.capability}.
 */
package dev.jbuild.layer;
