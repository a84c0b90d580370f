package io.llt.layers.graph;

import io.llt.engine.data.graph.Adjacency;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.ops.NDBase;

/**
 * Weighted message passing {@code out[i] = sum over edges e with dst[e] = i of w[e] x[src[e]]} and
 * its transpose, by one of two routes:
 *
 * <ul>
 *   <li>{@link Route#HOST} (the default): one pass over the edge list in Java on the host copy of
 *       {@code x}, accumulating in double precision. No {@code [edges, width]} array is made.
 *   <li>{@link Route#SEGMENT}: ND4J's eager ops, a {@code gather} of the source rows, the weights,
 *       and {@code unsorted_segment_sum} into the targets (exact and O(edges x width) memory;
 *       SameDiff's gather gradient is wrong for repeated indices in M2.1, so nothing relies on
 *       autodiff). This is the route a device backend would take.
 * </ul>
 *
 * <p>Why the host route is the default on the CPU backend: on this 2-core machine, for a 3002-row
 * graph with 23,000 edges (self-loops included) and width 128, {@code gather} took about 10 ms and
 * {@code unsorted_segment_sum} about 40 ms, the sorted {@code segment_sum} about 400 ms, while the
 * host pass with its two copies took about 7 ms (issue 9's measurement, docs/RESULTS.md). Both
 * routes agree to rounding and pass the same finite-difference checks.
 */
public final class Aggregation {
  static final NDBase OPS = new NDBase();

  /** How the sums over edges are computed. */
  public enum Route {
    /** A Java pass over the edges on the host. */
    HOST,
    /** ND4J gather and unsorted segment sum. */
    SEGMENT
  }

  private Aggregation() {}

  /**
   * Returns {@code out[i] = sum over e with dst[e] = i of w[e] x[src[e]]}, {@code [rows, width]}.
   *
   * @param w per-edge weights, or null for 1
   */
  static INDArray forward(INDArray x, Adjacency a, double[] w, Route route) {
    return route == Route.HOST
        ? host(x, a.src(), a.dst(), w, a.numRows())
        : segment(x, a.srcIndex(), a.dstIndex(), w, a);
  }

  /** Returns the transpose of {@link #forward}: {@code dx[j] = sum over e with src[e] = j of w[e] g[dst[e]]}. */
  static INDArray backward(INDArray g, Adjacency a, double[] w, Route route) {
    return route == Route.HOST
        ? host(g, a.dst(), a.src(), w, a.numRows())
        : segment(g, a.dstIndex(), a.srcIndex(), w, a);
  }

  private static INDArray host(INDArray x, int[] from, int[] to, double[] w, int rows) {
    int width = (int) x.size(1);
    double[] xv = hostCopy(x);
    double[] out = new double[rows * width];
    for (int e = 0; e < from.length; e++) {
      double we = w == null ? 1 : w[e];
      int o = to[e] * width;
      int i = from[e] * width;
      for (int c = 0; c < width; c++) {
        out[o + c] += we * xv[i + c];
      }
    }
    return device(out, rows, width, x.dataType());
  }

  private static INDArray segment(
      INDArray x, INDArray from, INDArray to, double[] w, Adjacency a) {
    INDArray msg = OPS.gather(x, from, 0);
    if (w != null) {
      msg.muliColumnVector(Nd4j.create(w, new long[] {w.length, 1}, 'c').castTo(x.dataType()));
    }
    return OPS.unsortedSegmentSum(msg, to, a.numRows());
  }

  /** Returns a row-major host copy of a 2-D array (contiguous or not). */
  static double[] hostCopy(INDArray x) {
    INDArray c =
        x.ordering() == 'c' && !x.isView() && x.data().length() == x.length() ? x : x.dup('c');
    return c.data().asDouble();
  }

  /** Returns a {@code [rows, width]} array of {@code type} holding {@code v} (row-major). */
  static INDArray device(double[] v, long rows, long width, DataType type) {
    INDArray d = Nd4j.create(v, new long[] {rows, width}, 'c');
    return type == DataType.DOUBLE ? d : d.castTo(type);
  }
}
