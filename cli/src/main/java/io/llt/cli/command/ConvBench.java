package io.llt.cli.command;

import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.spi.Layer;
import io.llt.layers.Shapes;
import io.llt.layers.conv.Conv2dLayer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code llt bench --conv}: forward and backward rates (GFLOP/s) of every {@code conv2d} layer of a
 * config's graph at a batch size, against the machine's GEMM rate measured in the same process:
 * one square {@code 1024^3} GEMM and one GEMM of each layer's own shape ({@code [K, C*k*k] x [C*k*k,
 * B*oH*oW]}), the ceiling an im2col convolution can reach. Times include everything the layer does
 * (patch matrix, GEMMs, layout copies, col2im); the median of the timed repetitions is reported.
 * A layer on the per-example sgemm path is also timed on the batch-GEMM path (same shapes, fresh
 * weights), and the time its {@code lastResponses()} takes to build Y for a Hebbian rule is
 * reported beside its forward.
 */
final class ConvBench {
  private ConvBench() {}

  /** Measures every conv layer of {@code graph}; returns one result map per layer. */
  static List<Map<String, Object>> run(BlockGraph graph, int batch, int warmup, int repeats) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Block b : graph.blocks()) {
      for (int li = 0; li < b.layers().size(); li++) {
        Layer l = b.layers().get(li);
        if (!(l instanceof Conv2dLayer conv)) {
          continue;
        }
        DataType dt = b.dataType();
        long outSize = Shapes.size(l.outputShape());
        double macs = (double) conv.macsPerExample() * batch;
        boolean inputGrad = conv.inputShape()[0] > 1;
        double[][] t = time(b, conv, batch, outSize, inputGrad, warmup, repeats);
        double f = median(t[0]);
        double bk = median(t[1]);
        double fRate = 2 * macs / f / 1e9;
        double bRate = (inputGrad ? 4 : 2) * macs / bk / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("block", b.id());
        m.put("layer", li);
        m.put("inputShape", Arrays.toString(l.inputShape()));
        m.put("outputShape", Arrays.toString(l.outputShape()));
        m.put("batch", batch);
        m.put("path", conv.perExample() ? "per-example sgemm" : "batch GEMM");
        m.put("forwardMs", f * 1e3);
        m.put("forwardGflops", fRate);
        m.put("backwardMs", bk * 1e3);
        m.put("backwardGflops", bRate);
        m.put("backwardIncludesInputGradient", inputGrad);
        m.put("responsesMs", median(t[2]) * 1e3);
        if (conv.perExample()) {
          Conv2dLayer other = conv.onBatchGemm(dt);
          try (INDArray p = Nd4j.zeros(dt, 1, other.numParams());
              INDArray gr = Nd4j.zeros(dt, 1, other.numParams())) {
            other.bind(p, gr);
            other.initialize(new SplittableRandom(1));
            double[][] o = time(b, other, batch, outSize, inputGrad, warmup, repeats);
            m.put("batchGemmForwardMs", median(o[0]) * 1e3);
            m.put("batchGemmForwardGflops", 2 * macs / median(o[0]) / 1e9);
            m.put("batchGemmBackwardMs", median(o[1]) * 1e3);
            m.put("batchGemmBackwardGflops", (inputGrad ? 4 : 2) * macs / median(o[1]) / 1e9);
          }
        }
        long positions = Shapes.size(l.outputShape()) / conv.neurons();
        double gemmShape =
            gemmRate(conv.neurons(), conv.fanIn(), positions * batch, dt, warmup, repeats);
        m.put("sameShapeGemmGflops", gemmShape);
        out.add(m);
      }
    }
    return out;
  }

  /**
   * Times {@code repeats} training forwards, the responses a Hebbian rule would read, and backwards
   * of {@code conv} in the block's workspace: seconds, as {forward, backward, responses}.
   */
  private static double[][] time(
      Block b, Conv2dLayer conv, int batch, long outSize, boolean inputGrad, int warmup,
      int repeats) {
    DataType dt = b.dataType();
    long in = Shapes.size(conv.inputShape());
    double[][] t = new double[3][repeats];
    try (INDArray x = Nd4j.rand(dt, batch, in);
        INDArray g = Nd4j.rand(dt, batch, outSize)) {
      for (int r = -warmup; r < repeats; r++) {
        try (MemoryWorkspace ws = b.openWorkspace()) {
          long t0 = System.nanoTime();
          conv.forward(x, true, null);
          long t1 = System.nanoTime();
          conv.lastResponses();
          long t2 = System.nanoTime();
          conv.backward(g, inputGrad);
          long t3 = System.nanoTime();
          if (r >= 0) {
            t[0][r] = (t1 - t0) / 1e9;
            t[2][r] = (t2 - t1) / 1e9;
            t[1][r] = (t3 - t2) / 1e9;
          }
        }
      }
    }
    return t;
  }

  /** Returns the median GFLOP/s of {@code C[m, n] = A[m, k] B[k, n]} in the given data type. */
  static double gemmRate(long m, long k, long n, DataType dt, int warmup, int repeats) {
    double[] t = new double[repeats];
    try (INDArray a = Nd4j.rand(dt, m, k);
        INDArray b = Nd4j.rand(dt, k, n);
        INDArray c = Nd4j.create(dt, m, n)) {
      for (int r = -Math.max(1, warmup); r < repeats; r++) {
        long t0 = System.nanoTime();
        Nd4j.gemm(a, b, c, false, false, 1.0, 0.0);
        long t1 = System.nanoTime();
        if (r >= 0) {
          t[r] = (t1 - t0) / 1e9;
        }
      }
    }
    return 2.0 * m * k * n / median(t) / 1e9;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }
}
