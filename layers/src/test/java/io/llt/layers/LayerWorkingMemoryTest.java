package io.llt.layers;

import static org.assertj.core.api.Assertions.assertThat;

import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.testing.NativeLeakCheck;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.activation.TriangleLayer;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.norm.NormKind;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.layers.pool.AvgPoolLayer;
import io.llt.layers.pool.MaxPoolLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.layers.shape.FlattenLayer;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every layer's {@link Layer#workingValuesPerExample} against what its training forward and
 * backward really allocate in a workspace configured like a block's. The bytes are measured at two
 * batch sizes whose arrays are all multiples of ND4J's 32-byte alignment, so the difference divided
 * by the batch difference is the exact per-example cost, which must equal the count; what remains
 * (row vectors, scalars) must be small and must not grow with the batch.
 */
@ExtendWith(NativeLeakCheck.class)
class LayerWorkingMemoryTest {
  private static final WorkspaceConfiguration WS =
      WorkspaceConfiguration.builder()
          .initialSize(0)
          .policyAllocation(AllocationPolicy.STRICT)
          .policyLearning(LearningPolicy.FIRST_LOOP)
          .policyReset(ResetPolicy.BLOCK_LEFT)
          .policySpill(SpillPolicy.REALLOCATE)
          .build();

  static Stream<Arguments> layers() {
    Stream.Builder<Arguments> s = Stream.builder();
    for (Activation a : Activation.values()) {
      s.add(Arguments.of("dense " + a, new DenseLayer.Config(24, true, a, null), new long[] {40}));
    }
    s.add(Arguments.of("dense no bias", new DenseLayer.Config(24, false, null, null), new long[] {40}));
    s.add(Arguments.of("dense on [2,4,5]", new DenseLayer.Config(16, true, Activation.RELU, null), new long[] {2, 4, 5}));
    for (Activation a : Activation.values()) {
      s.add(Arguments.of("activation " + a, new ActivationLayer.Config(a), new long[] {40}));
    }
    s.add(Arguments.of("flatten", new FlattenLayer.Config(), new long[] {2, 4, 5}));
    s.add(Arguments.of("dropout 0.3", new DropoutLayer.Config(0.3), new long[] {40}));
    s.add(Arguments.of("dropout 0", new DropoutLayer.Config(0.0), new long[] {40}));
    s.add(Arguments.of("normalize l2", new NormalizeLayer.Config(NormKind.L2, null), new long[] {40}));
    s.add(Arguments.of("normalize rms", new NormalizeLayer.Config(NormKind.RMS, null), new long[] {40}));
    s.add(Arguments.of("maxpool k4 s2 p1", new MaxPoolLayer.Config(4, 2, 1), new long[] {4, 8, 8}));
    s.add(Arguments.of("conv2d reflect, no bias",
        new io.llt.layers.conv.Conv2dLayer.Config(6, 3, null, 1, io.llt.layers.conv.Conv2dLayer.PaddingMode.REFLECT, false, null, null),
        new long[] {3, 8, 8}));
    s.add(Arguments.of("conv2d stride 2, bias",
        new io.llt.layers.conv.Conv2dLayer.Config(5, 5, 2, 2, null, true, null, null),
        new long[] {1, 9, 9}));
    // large enough for the per-example sgemm path in float (1 x 64 x 25 x 784 multiply-adds)
    s.add(Arguments.of("conv2d 1->64 5x5 reflect, per-example sgemm in float",
        new io.llt.layers.conv.Conv2dLayer.Config(64, 5, null, 2, io.llt.layers.conv.Conv2dLayer.PaddingMode.REFLECT, false, null, null),
        new long[] {1, 28, 28}));
    s.add(Arguments.of("avgpool k2", new AvgPoolLayer.Config(2, null, null, null), new long[] {4, 6, 6}));
    s.add(Arguments.of("avgpool k3 s2 p1 exclude pad", new AvgPoolLayer.Config(3, 2, 1, false), new long[] {4, 7, 7}));
    // flat batch norm's per-feature vectors do not grow with the batch but count against the
    // fixed-bytes bound, so its width stays small
    s.add(Arguments.of("batchnorm affine [C,H,W]", new BatchNormLayer.Config(true, null, null), new long[] {2, 4, 5}));
    s.add(Arguments.of("batchnorm [C,H,W]", new BatchNormLayer.Config(false, null, null), new long[] {2, 4, 5}));
    s.add(Arguments.of("batchnorm affine flat", new BatchNormLayer.Config(true, null, null), new long[] {4}));
    s.add(Arguments.of("batchnorm flat", new BatchNormLayer.Config(false, null, null), new long[] {4}));
    s.add(Arguments.of("triangle 1", new TriangleLayer.Config(null), new long[] {4, 4, 5}));
    s.add(Arguments.of("triangle 1.4", new TriangleLayer.Config(1.4), new long[] {4, 4, 5}));
    s.add(Arguments.of("triangle 0.7 flat", new TriangleLayer.Config(0.7), new long[] {40}));
    s.add(Arguments.of("residual identity", new io.llt.layers.residual.ResidualLayer.Config(4, null, null), new long[] {4, 6, 6}));
    s.add(Arguments.of("residual projection stride 2", new io.llt.layers.residual.ResidualLayer.Config(6, 2, null), new long[] {3, 8, 8}));
    s.add(Arguments.of("globalavgpool", new io.llt.layers.pool.GlobalAvgPoolLayer.Config(), new long[] {4, 5, 6}));
    s.add(Arguments.of("upsample 3x4 to 6x7", new io.llt.layers.shape.UpsampleLayer.Config(6, 7), new long[] {2, 3, 4}));
    Stream.Builder<Arguments> both = Stream.builder();
    s.build()
        .forEach(
            a -> {
              for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
                for (boolean need : new boolean[] {true, false}) {
                  Object[] g = a.get();
                  both.add(Arguments.of(g[0] + ", " + dt + ", inputGrad " + need, g[1], g[2], dt, need));
                }
              }
            });
    return both.build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void countMatchesTheWorkspaceBytesOfForwardAndBackward(
      String name, LayerConfig config, long[] inShape, DataType dt, boolean needInputGrad) {
    Layer layer = config.build(inShape, dt);
    INDArray params = null;
    INDArray grads = null;
    if (layer.numParams() > 0) {
      params = Nd4j.zeros(dt, 1, layer.numParams());
      grads = Nd4j.zeros(dt, 1, layer.numParams());
      layer.bind(params, grads);
      layer.initialize(new SplittableRandom(3));
    }
    INDArray buffers = null;
    if (layer.numBuffers() > 0) {
      buffers = Nd4j.zeros(dt, 1, layer.numBuffers());
      layer.bindBuffers(buffers);
    }
    String id = "layer-working-" + name;
    try {
      long small = stepBytes(layer, id, 64, dt, needInputGrad);
      long large = stepBytes(layer, id, 192, dt, needInputGrad);
      long perExample = (large - small) / (192 - 64);
      assertThat(large - small).as(name + ": growth is whole examples").isEqualTo(perExample * 128);
      assertThat(perExample)
          .as(name + ": bytes per example")
          .isEqualTo(layer.workingValuesPerExample(needInputGrad) * dt.width());
      long fixed = small - 64 * perExample;
      long out = Shapes.size(layer.outputShape());
      // batch-independent rest: row vectors such as db's column sums, aligned to 32 bytes
      assertThat(fixed).as(name + ": batch-independent bytes").isBetween(0L, out * dt.width() + 256);
    } finally {
      if (Nd4j.getWorkspaceManager().checkIfWorkspaceExists(id)) {
        Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(id).destroyWorkspace(true);
      }
      if (params != null) {
        params.close();
        grads.close();
      }
      if (buffers != null) {
        buffers.close();
      }
    }
  }

  /** Runs forward and backward three times in the workspace and returns the last step's bytes. */
  private static long stepBytes(Layer layer, String id, int batch, DataType dt, boolean need) {
    long in = Shapes.size(layer.inputShape());
    long out = Shapes.size(layer.outputShape());
    INDArray x = Nd4j.rand(dt, batch, in).subi(0.5);
    INDArray g = Nd4j.rand(dt, batch, out).subi(0.5);
    Random rng = Nd4j.getRandomFactory().getNewRandomInstance(7);
    long bytes = -1;
    for (int k = 0; k < 3; k++) {
      try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(WS, id)) {
        layer.forward(x, true, rng);
        layer.backward(g, need);
        bytes = ws.getThisCycleAllocations();
        if (k == 2) {
          // in the steady state nothing spills: the workspace's own offset says the same
          assertThat(ws.getPrimaryOffset()).isEqualTo(bytes);
        }
      }
    }
    x.close();
    g.close();
    return bytes;
  }
}
