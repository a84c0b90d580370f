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
    FloatPointer cp = pointer(cols);
    FloatPointer op = pointer(out);
    long c0 = cp.position();
    long o0 = op.position();
    for (int b = 0; b < batch; b++) {
      cp.position(c0 + (long) b * p);
      op.position(o0 + (long) b * k * p);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, k, p, f, 1f, wp, f, cp, batch * p,
          0f, op, p);
    }
    Im2col.writtenOnHost(out);
  }

  /** {@code dW = sum_b g[b] cols[:, b*P:(b+1)*P]^T}: {@code g [B, K*P]}, {@code dW [K, F]}. */
  static void weightGradient(
      INDArray g, INDArray cols, INDArray dw, int k, int f, int batch, int p) {
    FloatPointer gp = pointer(g);
    FloatPointer cp = pointer(cols);
    FloatPointer dp = pointer(dw);
    long g0 = gp.position();
    long c0 = cp.position();
    for (int b = 0; b < batch; b++) {
      gp.position(g0 + (long) b * k * p);
      cp.position(c0 + (long) b * p);
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, k, f, p, 1f, gp, p, cp, batch * p,
          b == 0 ? 0f : 1f, dp, f);
    }
    Im2col.writtenOnHost(dw);
  }

  /** {@code dcols[:, b*P:(b+1)*P] = W^T g[b]}: the patch-matrix gradient, {@code [F, B*P]}. */
  static void patchGradient(
      INDArray w, INDArray g, INDArray dcols, int k, int f, int batch, int p) {
    FloatPointer wp = pointer(w);
    FloatPointer gp = pointer(g);
    FloatPointer dp = pointer(dcols);
    long g0 = gp.position();
    long d0 = dp.position();
    for (int b = 0; b < batch; b++) {
      gp.position(g0 + (long) b * k * p);
      dp.position(d0 + (long) b * p);
      cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, f, p, k, 1f, wp, f, gp, p, 0f, dp,
          batch * p);
    }
    Im2col.writtenOnHost(dcols);
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
    // a view's data buffer already starts at the view's first element's buffer offset
    FloatPointer fp = new FloatPointer(a.data().addressPointer());
    fp.position(a.offset() - a.data().offset());
    return fp;
  }
}
