package io.llt.layers.conv;

import static org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor;
import static org.bytedeco.openblas.global.openblas_nolapack.CblasTrans;
import static org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm;

import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A convolution's three products as one OpenBLAS {@code sgemm} per example, straight between the
 * patch matrix ({@code [F, B*P]}, F = C*k*k) and the example-major activations ({@code [B, K, P]}),
 * so no block copy between the GEMM layout and the activation layout is needed.
 *
 * <p>For a small fan-in the single GEMM over the batch is bound by writing its {@code [K, B*P]}
 * output, and the copy into {@code [B, K*P]} costs about half as much again; one {@code sgemm}
 * per example writes each example's output in place. Through ND4J each such call costs far more
 * than its arithmetic (docs/architecture.md), so these call the OpenBLAS that ND4J's CPU backend
 * loads, through JavaCPP, on pointers into the arrays' native memory. CPU backend and float only:
 * {@link Conv2dLayer} routes nothing else here.
 */
final class ExampleGemm {
  private ExampleGemm() {}

  /** {@code out[b] = W cols[:, b*P:(b+1)*P]}: {@code W [K, F]}, {@code out [B, K*P]}. */
  static void forward(INDArray w, INDArray cols, INDArray out, int k, int f, int batch, int p) {
    FloatPointer wp = pointer(w);
    perExample(batch, pointer(cols), p, pointer(out), (long) k * p,
        (cp, op, b) -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, p, f, 1f, wp, f,
            cp, batch * p, 0f, op, p));
    Im2col.writtenOnHost(out);
  }

  /** {@code dW = sum_b g[b] cols[:, b*P:(b+1)*P]^T}: {@code g [B, K*P]}, {@code dW [K, F]}. */
  static void weightGradient(
      INDArray g, INDArray cols, INDArray dw, int k, int f, int batch, int p) {
    FloatPointer dp = pointer(dw);
    perExample(batch, pointer(g), (long) k * p, pointer(cols), p,
        (gp, cp, b) -> cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, f, p, 1f, gp, p,
            cp, batch * p, b == 0 ? 0f : 1f, dp, f));
    Im2col.writtenOnHost(dw);
  }

  /** {@code dcols[:, b*P:(b+1)*P] = W^T g[b]}: the patch-matrix gradient, {@code [F, B*P]}. */
  static void patchGradient(
      INDArray w, INDArray g, INDArray dcols, int k, int f, int batch, int p) {
    FloatPointer wp = pointer(w);
    perExample(batch, pointer(g), (long) k * p, pointer(dcols), p,
        (gp, dp, b) -> cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, p, k, 1f, wp, f, gp,
            p, 0f, dp, batch * p));
    Im2col.writtenOnHost(dcols);
  }

  /** One sgemm call on the blocks of example {@code b}. */
  @FunctionalInterface
  private interface Call {
    void run(FloatPointer first, FloatPointer second, int b);
  }

  /**
   * Calls {@code call} for every example, with {@code first} and {@code second} moved to that
   * example's block: {@code b * firstStep} and {@code b * secondStep} floats past where they start.
   */
  private static void perExample(
      int batch, FloatPointer first, long firstStep, FloatPointer second, long secondStep,
      Call call) {
    long f0 = first.position();
    long s0 = second.position();
    for (int b = 0; b < batch; b++) {
      first.position(f0 + b * firstStep);
      second.position(s0 + b * secondStep);
      call.run(first, second, b);
    }
  }

  /**
   * A pointer at the first element of {@code a} (contiguous C order, float, on the host). The
   * address of a view's data buffer already includes the buffer's offset, so only the rest of the
   * array's offset is added.
   */
  private static FloatPointer pointer(INDArray a) {
    Im2col.requireContiguous(a, "operand");
    if (a.dataType() != DataType.FLOAT) {
      throw new IllegalArgumentException("per-example sgemm needs float, got " + a.dataType());
    }
    Im2col.onHost(a);
    FloatPointer fp = new FloatPointer(a.data().addressPointer());
    fp.position(a.offset() - a.data().offset());
    return fp;
  }
}
