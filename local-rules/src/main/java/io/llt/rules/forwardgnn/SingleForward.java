package io.llt.rules.forwardgnn;

import io.llt.engine.spi.GraphEncoding;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.factory.ops.NDBase;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * ForwardGNN's single-forward objective in closed form (spec 3(b), step 5). With {@code H} the
 * layer's output over the n real rows and C class rows, {@code s = H_train H_vn^T / tau} and
 * {@code G = (softmax(s) - onehot(y)) / n_train}: {@code dL/dH_train = G H_vn / tau}, {@code
 * dL/dH_vn = G^T H_train / tau}, scattered into a zero {@code dL/dH}.
 */
final class SingleForward {
  private static final NDBase OPS = new NDBase();

  private SingleForward() {}

  /** Returns dL/dH {@code [rows, width]} and the mean cross-entropy in {@code loss[0]}. */
  static INDArray gradient(INDArray h, GraphEncoding enc, double tau, double[] loss) {
    int n = enc.numNodes();
    int rows = (int) h.size(0);
    int c = rows - n;
    int[] lab = enc.rowLabels();
    int count = 0;
    for (int r = 0; r < n; r++) {
      count += lab[r] >= 0 ? 1 : 0;
    }
    int[] train = new int[count];
    int[] y = new int[count];
    for (int r = 0, i = 0; r < n; r++) {
      if (lab[r] >= 0) {
        train[i] = r;
        y[i++] = lab[r];
      }
    }
    INDArray trainIdx = Nd4j.createFromArray(train);
    INDArray ht = OPS.gather(h, trainIdx, 0);
    INDArray hv = h.get(NDArrayIndex.interval(n, rows), NDArrayIndex.all());
    INDArray s = Nd4j.matmul(ht, hv, false, true, false);
    double[] sv = s.castTo(DataType.DOUBLE).data().asDouble();
    double[] gv = new double[count * c];
    double total = 0;
    for (int i = 0; i < count; i++) {
      int row = i * c;
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < c; j++) {
        max = Math.max(max, sv[row + j] / tau);
      }
      double sum = 0;
      for (int j = 0; j < c; j++) {
        sum += Math.exp(sv[row + j] / tau - max);
      }
      double logZ = max + Math.log(sum);
      total += logZ - sv[row + y[i]] / tau;
      for (int j = 0; j < c; j++) {
        gv[row + j] = (Math.exp(sv[row + j] / tau - logZ) - (j == y[i] ? 1 : 0)) / (count * tau);
      }
    }
    loss[0] = total / count;
    INDArray g = Nd4j.create(gv, new long[] {count, c}, 'c').castTo(h.dataType());
    INDArray dht = Nd4j.matmul(g, hv);
    INDArray dh = io.llt.rules.common.GraphSoftmax.scatterRows(dht, train, rows);
    dh.get(NDArrayIndex.interval(n, rows), NDArrayIndex.all())
        .addi(Nd4j.matmul(g, ht, true, false, false));
    return dh;
  }

  /** Returns {@code softmax_c <h_v, h_vn(c)> / tau} for the n real nodes, {@code [n, C]}. */
  static INDArray probabilities(INDArray h, int n, double tau) {
    int rows = (int) h.size(0);
    INDArray s =
        Nd4j.matmul(
            h.get(NDArrayIndex.interval(0, n), NDArrayIndex.all()),
            h.get(NDArrayIndex.interval(n, rows), NDArrayIndex.all()),
            false, true, false);
    if (tau != 1.0) {
      s.divi(tau);
    }
    s.subiColumnVector(s.max(1).reshape(n, 1));
    org.nd4j.linalg.ops.transforms.Transforms.exp(s, false);
    return s.diviColumnVector(s.sum(1).reshape(n, 1));
  }
}
