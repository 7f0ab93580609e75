package dev.jbuild.build.context;

import java.util.AbstractList;
import java.util.RandomAccess;

/**
 * What {@link BuildContext#walk} returns: its entries in walk order, unmodifiable, each with the
 * stat the walk made it from. {@link ContextHasher} takes the stats from here instead of looking
 * each file up again by path (25,000 lookups in a map of 25,000 were most of a no-change
 * rebuild's memo check).
 */
final class Selection extends AbstractList<ContextEntry> implements RandomAccess {

  private final ContextEntry[] entries;
  private final Node[] nodes;

  /** {@code nodes[i]} is the stat {@code entries[i]} was made from. */
  Selection(ContextEntry[] entries, Node[] nodes) {
    if (entries.length != nodes.length) {
      throw new IllegalArgumentException(entries.length + " entries, " + nodes.length + " stats");
    }
    this.entries = entries;
    this.nodes = nodes;
  }

  @Override
  public ContextEntry get(int index) {
    return entries[index];
  }

  @Override
  public int size() {
    return entries.length;
  }

  /** The stat the entry at {@code index} was made from. */
  Node node(int index) {
    return nodes[index];
  }
}
