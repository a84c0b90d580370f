package io.llt.layers.conv;

import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.concurrency.AffinityManager;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The patch matrix of a 2-D convolution and its adjoint, written in Java straight into native
 * memory.
 *
 * <p>Layout: for inputs {@code [B, C, H, W]} (C order, contiguous) and output size {@code oH x oW},
 * the patch matrix is {@code [C*kH*kW, B*oH*oW]}: row {@code (c, i, j)}, column {@code (b, oy,
 * ox)}. With it the convolution is one GEMM {@code W [K, C*kH*kW] x cols}, the weight gradient
 * (and SoftHebb's Hebbian term) is one GEMM {@code dY [K, B*oH*oW] x cols^T}, and the input
 * gradient is {@link #col2im} of {@code W^T dY}. Input position of output {@code oy} and kernel row
 * {@code i} is {@code oy*stride + i - pad}; out of range it reads 0 (zero padding) or the mirror
 * image without repeating the edge (reflect padding, PyTorch's {@code padding_mode='reflect'}).
 *
 * <p>Java reads and writes the host copies of the arrays; on a GPU backend the affinity manager
 * synchronises them (not verified here: no GPU).
 *
 * <p>ND4J's native im2col measured slower than this on this machine, and its layout {@code [B, C,
 * kH, kW, oH, oW]} needs a strided permute copy (slower still) before one GEMM can cover the batch;
 * see docs/architecture.md, "Convolution".
 */
final class Im2col {
  private Im2col() {}

  /** The geometry of one convolution. */
  record Geometry(
      int channels, int height, int width, int kernel, int stride, int pad, boolean reflect) {
    int outHeight() {
      return (height + 2 * pad - kernel) / stride + 1;
    }

    int outWidth() {
      return (width + 2 * pad - kernel) / stride + 1;
    }

    int rows() {
      return channels * kernel * kernel;
    }

    /** For kernel offset {@code i}: the input index of each output position, or -1 (zero). */
    int[][] indexTable(int size, int outSize) {
      int[][] t = new int[kernel][outSize];
      for (int i = 0; i < kernel; i++) {
        for (int o = 0; o < outSize; o++) {
          int x = o * stride + i - pad;
          if (x < 0 || x >= size) {
            if (reflect) {
              x = x < 0 ? -x : 2 * (size - 1) - x;
            } else {
              x = -1;
            }
          }
          t[i][o] = x;
        }
      }
      return t;
    }
  }

  /**
   * Writes the patch matrix of {@code input} ({@code [B, C*H*W]}, contiguous C order) into {@code
   * cols} ({@code [C*k*k, B*oH*oW]}, contiguous C order).
   */
  static void im2col(INDArray input, Geometry g, INDArray cols) {
    requireContiguous(input, "input");
    requireContiguous(cols, "patch matrix");
    onHost(input);
    int batch = (int) input.size(0);
    int oh = g.outHeight();
    int ow = g.outWidth();
    int[][] ys = g.indexTable(g.height(), oh);
    int[][] xs = g.indexTable(g.width(), ow);
    int plane = g.height() * g.width();
    int image = g.channels() * plane;
    int p = oh * ow;
    long cols0 = cols.offset();
    long in0 = input.offset();
    long rowLength = (long) batch * p;
    int k = g.kernel();
    if (input.dataType() == DataType.FLOAT) {
      FloatBuffer src = input.data().asNioFloat();
      FloatBuffer dst = cols.data().asNioFloat();
      int[][] runs = contiguousRuns(xs, ow);
      parallelIf(IntStream.range(0, g.rows()), (long) g.rows() * batch * p)
          .forEach(
              r -> {
                int c = r / (k * k);
                int[] yt = ys[(r / k) % k];
                int[] xt = xs[r % k];
                // output columns [lo, hi) read consecutive input columns: one bulk copy each
                int lo = runs[r % k][0];
                int hi = runs[r % k][1];
                int dst0 = (int) (cols0 + r * rowLength);
                for (int b = 0; b < batch; b++) {
                  int chan = (int) (in0 + (long) b * image + (long) c * plane);
                  int d = dst0 + b * p;
                  for (int oy = 0; oy < oh; oy++) {
                    int y = yt[oy];
                    if (y < 0) {
                      for (int ox = 0; ox < ow; ox++) {
                        dst.put(d++, 0f);
                      }
                      continue;
                    }
                    int row = chan + y * g.width();
                    for (int ox = 0; ox < lo; ox++) {
                      int x = xt[ox];
                      dst.put(d++, x < 0 ? 0f : src.get(row + x));
                    }
                    if (hi > lo) {
                      dst.put(d, src, row + xt[lo], hi - lo);
                      d += hi - lo;
                    }
                    for (int ox = Math.max(lo, hi); ox < ow; ox++) {
                      int x = xt[ox];
                      dst.put(d++, x < 0 ? 0f : src.get(row + x));
                    }
                  }
                }
              });
    } else if (input.dataType() == DataType.DOUBLE) {
      DoubleBuffer src = input.data().asNioDouble();
      DoubleBuffer dst = cols.data().asNioDouble();
      parallelIf(IntStream.range(0, g.rows()), (long) g.rows() * batch * p)
          .forEach(
              r -> {
                int c = r / (k * k);
                int[] yt = ys[(r / k) % k];
                int[] xt = xs[r % k];
                int dst0 = (int) (cols0 + r * rowLength);
                for (int b = 0; b < batch; b++) {
                  int chan = (int) (in0 + (long) b * image + (long) c * plane);
                  int d = dst0 + b * p;
                  for (int oy = 0; oy < oh; oy++) {
                    int y = yt[oy];
                    for (int ox = 0; ox < ow; ox++) {
                      int x = xt[ox];
                      dst.put(d++, x < 0 || y < 0 ? 0.0 : src.get(chan + y * g.width() + x));
                    }
                  }
                }
              });
    } else {
      throw new IllegalArgumentException("conv2d supports float and double, not " + input.dataType());
    }
    writtenOnHost(cols);
  }

  /**
   * For each kernel offset of an index table: the range {@code [lo, hi)} of output
   * positions whose input positions are in range and consecutive ({@code xt[o] = xt[lo] + o -
   * lo}), the longest such run; {@code lo = hi} when there is none.
   */
  static int[][] contiguousRuns(int[][] table, int outSize) {
    int[][] runs = new int[table.length][];
    for (int i = 0; i < table.length; i++) {
      int[] t = table[i];
      int bestLo = 0;
      int bestHi = 0;
      int o = 0;
      while (o < outSize) {
        if (t[o] < 0) {
          o++;
          continue;
        }
        int lo = o;
        while (o + 1 < outSize && t[o + 1] == t[o] + 1) {
          o++;
        }
        o++;
        if (o - lo > bestHi - bestLo) {
          bestLo = lo;
          bestHi = o;
        }
      }
      runs[i] = new int[] {bestLo, bestHi};
    }
    return runs;
  }

  /**
   * Copies between the GEMM layout {@code [K, B*P]} and the activation layout {@code [B, K*P]} (both
   * contiguous C order): runs of P values, moved with bulk buffer-to-buffer copies, examples in parallel. ND4J's
   * assign from a permuted view was several times slower at SoftHebb's first layer.
   *
   * @param toExamples true for {@code [K, B*P] -> [B, K*P]}, false for the reverse
   */
  static void transposeBlocks(INDArray src, INDArray dst, int k, int batch, int p, boolean toExamples) {
    requireContiguous(src, "source");
    requireContiguous(dst, "destination");
    onHost(src);
    int s0 = (int) src.offset();
    int d0 = (int) dst.offset();
    if (src.dataType() == DataType.FLOAT) {
      FloatBuffer in = src.data().asNioFloat();
      FloatBuffer out = dst.data().asNioFloat();
      parallelIf(IntStream.range(0, batch), (long) k * batch * p)
          .forEach(
              b -> {
                for (int c = 0; c < k; c++) {
                  int gemm = (c * batch + b) * p;
                  int ex = (b * k + c) * p;
                  // buffer to buffer, no array in between
                  out.put(d0 + (toExamples ? ex : gemm), in, s0 + (toExamples ? gemm : ex), p);
                }
              });
    } else {
      DoubleBuffer in = src.data().asNioDouble();
      DoubleBuffer out = dst.data().asNioDouble();
      parallelIf(IntStream.range(0, batch), (long) k * batch * p)
          .forEach(
              b -> {
                for (int c = 0; c < k; c++) {
                  int gemm = (c * batch + b) * p;
                  int ex = (b * k + c) * p;
                  out.put(d0 + (toExamples ? ex : gemm), in, s0 + (toExamples ? gemm : ex), p);
                }
              });
    }
    writtenOnHost(dst);
  }

  /**
   * Values below which a copy runs on the calling thread: handing a few hundred kilobytes to the
   * fork-join pool cost more than the copy (SoftHebb's first layer at batch 10: about 1 ms against
   * 0.2 ms).
   */
  private static final long PARALLEL_MIN_VALUES = 1L << 20;

  /** Returns {@code s} in parallel when it moves at least {@link #PARALLEL_MIN_VALUES} values. */
  private static IntStream parallelIf(IntStream s, long values) {
    return values >= PARALLEL_MIN_VALUES ? s.parallel() : s;
  }

  /**
   * Makes the host copy of {@code a} current before Java reads it (a no-op on the CPU backend; on
   * CUDA it synchronises from the device).
   */
  static void onHost(INDArray a) {
    Nd4j.getAffinityManager().ensureLocation(a, AffinityManager.Location.HOST);
  }

  /** Marks {@code a} as changed on the host, so a GPU backend copies it before device use. */
  static void writtenOnHost(INDArray a) {
    Nd4j.getAffinityManager().tagLocation(a, AffinityManager.Location.HOST);
  }

  /**
   * Adds the patch-matrix gradient {@code dcols} ({@code [C*k*k, B*oH*oW]}) back onto the input
   * positions it was read from, writing {@code dx} ({@code [B, C*H*W]}, overwritten): the adjoint
   * of {@link #im2col}, so reflected border cells receive the gradient of every patch that read
   * them.
   */
  static void col2im(INDArray dcols, Geometry g, INDArray dx) {
    requireContiguous(dcols, "patch gradient");
    requireContiguous(dx, "input gradient");
    dx.assign(0);
    onHost(dcols);
    onHost(dx);
    int batch = (int) dx.size(0);
    int oh = g.outHeight();
    int ow = g.outWidth();
    int[][] ys = g.indexTable(g.height(), oh);
    int[][] xs = g.indexTable(g.width(), ow);
    int plane = g.height() * g.width();
    int image = g.channels() * plane;
    int p = oh * ow;
    long c0 = dcols.offset();
    long x0 = dx.offset();
    long rowLength = (long) batch * p;
    int k = g.kernel();
    boolean isFloat = dx.dataType() == DataType.FLOAT;
    FloatBuffer fs = isFloat ? dcols.data().asNioFloat() : null;
    FloatBuffer fd = isFloat ? dx.data().asNioFloat() : null;
    DoubleBuffer ds = isFloat ? null : dcols.data().asNioDouble();
    DoubleBuffer dd = isFloat ? null : dx.data().asNioDouble();
    // one channel per task: rows of different channels never write the same input cell
    parallelIf(IntStream.range(0, g.channels()), (long) g.rows() * batch * p)
        .forEach(
            c -> {
              for (int ij = 0; ij < k * k; ij++) {
                int r = c * k * k + ij;
                int[] yt = ys[ij / k];
                int[] xt = xs[ij % k];
                long src0 = c0 + r * rowLength;
                for (int b = 0; b < batch; b++) {
                  int chan = (int) (x0 + (long) b * image + (long) c * plane);
                  int s = (int) (src0 + (long) b * p);
                  for (int oy = 0; oy < oh; oy++) {
                    int y = yt[oy];
                    if (y < 0) {
                      s += ow;
                      continue;
                    }
                    int row = chan + y * g.width();
                    for (int ox = 0; ox < ow; ox++, s++) {
                      int x = xt[ox];
                      if (x < 0) {
                        continue;
                      }
                      if (isFloat) {
                        fd.put(row + x, fd.get(row + x) + fs.get(s));
                      } else {
                        dd.put(row + x, dd.get(row + x) + ds.get(s));
                      }
                    }
                  }
                }
              }
            });
    writtenOnHost(dx);
  }

  static void requireContiguous(INDArray a, String what) {
    if (a.ordering() != 'c' || a.isView() && !a.isScalar() && a.elementWiseStride() != 1) {
      throw new IllegalArgumentException("conv2d needs a contiguous C-order " + what);
    }
  }
}
