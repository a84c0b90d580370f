package io.llt.layers.graph;

import io.llt.engine.data.graph.Adjacency;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Weighted message passing {@code out[i] = sum over edges e with dst[e] = i of w[e] x[src[e]]} and
 * its transpose, as one pass over the edge list in Java on a host copy of {@code x}, accumulating
 * in double precision; no {@code [edges, width]} array is made.
 *
 * <p>Why not ND4J's own ops (issue 9's measurements on this 2-core machine, docs/RESULTS.md): for
 * a 3002-row graph with 23,000 edges (self-loops included) at width 128, {@code gather} took about
 * 10 ms and {@code unsorted_segment_sum} about 40 ms (the sorted {@code segment_sum} about 400 ms)
 * against about 7 ms for this pass with its two copies; and in M2.1 every {@code
 * unsorted_segment_sum} call leaves a detached copy of its input behind, outside the caller's
 * workspace, until the garbage collector frees it (a full Cora_ML run grew to 4.8 GB of native
 * memory that way). The tests check this pass against {@code gather} plus {@code
 * unsorted_segment_sum}. A device backend would need a device kernel instead.
 */
final class Aggregation {
  private Aggregation() {}

  /**
   * Returns {@code out[i] = sum over e with dst[e] = i of w[e] x[src[e]]}, {@code [rows, width]}.
   *
   * @param w per-edge weights, or null for 1
   */
  static INDArray forward(INDArray x, Adjacency a, double[] w) {
    return host(x, a.src(), a.dst(), w, a.numRows());
  }

  /** Returns the transpose of {@link #forward}: {@code dx[j] = sum over e with src[e] = j of w[e] g[dst[e]]}. */
  static INDArray backward(INDArray g, Adjacency a, double[] w) {
    return host(g, a.dst(), a.src(), w, a.numRows());
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
