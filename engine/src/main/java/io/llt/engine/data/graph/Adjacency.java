package io.llt.engine.data.graph;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The directed message edges over the rows a graph layer sees: edge {@code e} sends row {@code
 * src[e]}'s features to row {@code dst[e]}. An undirected graph stores both directions. Rows are
 * nodes (real nodes, then any class nodes an encoding adds); a batch of several graphs is their
 * disjoint union ({@link #copies}).
 *
 * <p>Immutable. Derived forms (the self-looped adjacency, per-edge weights, ND4J index vectors
 * for gather and segment-sum ops) are made once, on first use, and shared by every layer attached
 * to this adjacency.
 */
public final class Adjacency {
  private final int numRows;
  private final int[] src;
  private final int[] dst;
  private INDArray srcIndex;
  private INDArray dstIndex;
  private Adjacency selfLooped;
  private double[] symmetricNorm;
  private double[] mean;

  /**
   * Creates an adjacency from its edge lists (copied).
   *
   * @throws IllegalArgumentException when the lists differ in length or an id is out of range
   */
  public Adjacency(int numRows, int[] src, int[] dst) {
    if (numRows <= 0) {
      throw new IllegalArgumentException("a graph needs at least one row, found " + numRows);
    }
    if (src.length != dst.length) {
      throw new IllegalArgumentException(
          "edge lists differ in length: " + src.length + " sources, " + dst.length + " targets");
    }
    for (int e = 0; e < src.length; e++) {
      if (src[e] < 0 || src[e] >= numRows || dst[e] < 0 || dst[e] >= numRows) {
        throw new IllegalArgumentException(
            "edge " + e + " (" + src[e] + " -> " + dst[e] + ") is outside rows 0.." + (numRows - 1));
      }
    }
    this.numRows = numRows;
    this.src = src.clone();
    this.dst = dst.clone();
  }

  /**
   * Returns the symmetric adjacency of undirected pairs: both directions of every pair, each
   * directed edge once however often the pair is listed, self-loops dropped (layers that want
   * them add them).
   */
  public static Adjacency undirected(int numRows, int[] u, int[] v) {
    if (u.length != v.length) {
      throw new IllegalArgumentException("pair lists differ in length");
    }
    long[] keys = new long[2 * u.length];
    int n = 0;
    for (int i = 0; i < u.length; i++) {
      if (u[i] != v[i]) {
        keys[n++] = ((long) u[i] << 32) | v[i];
        keys[n++] = ((long) v[i] << 32) | u[i];
      }
    }
    long[] sorted = Arrays.copyOf(keys, n);
    Arrays.sort(sorted);
    int m = 0;
    for (int i = 0; i < n; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        sorted[m++] = sorted[i];
      }
    }
    int[] s = new int[m];
    int[] d = new int[m];
    for (int i = 0; i < m; i++) {
      s[i] = (int) (sorted[i] >>> 32);
      d[i] = (int) sorted[i];
    }
    return new Adjacency(numRows, s, d);
  }

  /** Returns the number of rows (nodes). */
  public int numRows() {
    return numRows;
  }

  /** Returns the number of directed edges. */
  public int numEdges() {
    return src.length;
  }

  /** Returns the source row of every edge (the adjacency's own array: do not modify). */
  public int[] src() {
    return src;
  }

  /** Returns the target row of every edge (the adjacency's own array: do not modify). */
  public int[] dst() {
    return dst;
  }

  /** Returns how many edges end at each row. */
  public int[] inDegree() {
    int[] deg = new int[numRows];
    for (int t : dst) {
      deg[t]++;
    }
    return deg;
  }

  /**
   * Returns this adjacency with {@code extraRows} more rows and the given edges added (class nodes
   * and their edges).
   */
  public Adjacency plus(int extraRows, int[] moreSrc, int[] moreDst) {
    int[] s = Arrays.copyOf(src, src.length + moreSrc.length);
    int[] d = Arrays.copyOf(dst, dst.length + moreDst.length);
    System.arraycopy(moreSrc, 0, s, src.length, moreSrc.length);
    System.arraycopy(moreDst, 0, d, dst.length, moreDst.length);
    return new Adjacency(numRows + extraRows, s, d);
  }

  /**
   * Returns this adjacency with a self-loop on every row that has none (PyG's {@code
   * add_remaining_self_loops}); the loops come after the existing edges.
   */
  public Adjacency withSelfLoops() {
    boolean[] has = new boolean[numRows];
    for (int e = 0; e < src.length; e++) {
      if (src[e] == dst[e]) {
        has[src[e]] = true;
      }
    }
    int missing = 0;
    for (boolean h : has) {
      missing += h ? 0 : 1;
    }
    int[] s = Arrays.copyOf(src, src.length + missing);
    int[] d = Arrays.copyOf(dst, dst.length + missing);
    int k = src.length;
    for (int i = 0; i < numRows; i++) {
      if (!has[i]) {
        s[k] = i;
        d[k] = i;
        k++;
      }
    }
    return new Adjacency(numRows, s, d);
  }

  /**
   * Returns the disjoint union of adjacencies over the same number of rows: part {@code c} holds
   * rows {@code c * rows} to {@code (c + 1) * rows - 1}.
   */
  public static Adjacency union(Adjacency... parts) {
    int rows = parts[0].numRows;
    int edges = 0;
    for (Adjacency a : parts) {
      if (a.numRows != rows) {
        throw new IllegalArgumentException("union of graphs with different row counts");
      }
      edges += a.src.length;
    }
    int[] s = new int[edges];
    int[] d = new int[edges];
    int k = 0;
    for (int c = 0; c < parts.length; c++) {
      Adjacency a = parts[c];
      for (int e = 0; e < a.src.length; e++) {
        s[k] = a.src[e] + c * rows;
        d[k] = a.dst[e] + c * rows;
        k++;
      }
    }
    return new Adjacency(rows * parts.length, s, d);
  }

  /** Returns the disjoint union of {@code k} copies of this adjacency. */
  public Adjacency copies(int k) {
    Adjacency[] parts = new Adjacency[k];
    Arrays.fill(parts, this);
    return union(parts);
  }

  /**
   * Returns {@link #withSelfLoops()}, made once and kept, so that every layer attached to this
   * adjacency shares its index arrays and weights.
   */
  public synchronized Adjacency selfLooped() {
    if (selfLooped == null) {
      selfLooped = withSelfLoops();
    }
    return selfLooped;
  }

  /**
   * Returns GCN's symmetric normalisation as one weight per edge: {@code 1 / sqrt(deg(src)
   * deg(dst))} with deg the in-degree (PyG's {@code gcn_norm} on an adjacency that already has its
   * self-loops). Made once and kept; do not modify.
   */
  public synchronized double[] symmetricNormWeights() {
    if (symmetricNorm == null) {
      int[] deg = inDegree();
      symmetricNorm = new double[src.length];
      for (int e = 0; e < src.length; e++) {
        symmetricNorm[e] = 1.0 / Math.sqrt((double) deg[src[e]] * deg[dst[e]]);
      }
    }
    return symmetricNorm;
  }

  /**
   * Returns the mean aggregation as one weight per edge: {@code 1 / indeg(dst)}. Made once and
   * kept; do not modify.
   */
  public synchronized double[] meanWeights() {
    if (mean == null) {
      int[] deg = inDegree();
      mean = new double[src.length];
      for (int e = 0; e < src.length; e++) {
        mean[e] = 1.0 / deg[dst[e]];
      }
    }
    return mean;
  }

  /** Returns the source rows as an INT32 vector (made once, outside workspaces; do not close). */
  public synchronized INDArray srcIndex() {
    if (srcIndex == null) {
      srcIndex = detached(src);
    }
    return srcIndex;
  }

  /** Returns the target rows as an INT32 vector (made once, outside workspaces; do not close). */
  public synchronized INDArray dstIndex() {
    if (dstIndex == null) {
      dstIndex = detached(dst);
    }
    return dstIndex;
  }

  private static INDArray detached(int[] ids) {
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return Nd4j.createFromArray(ids).castTo(DataType.INT32);
    }
  }
}
