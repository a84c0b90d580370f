package io.llt.layers;


import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.testing.Arrays2;
import io.llt.engine.testing.GradCheck;
import io.llt.layers.activation.Activation;
import io.llt.layers.activation.ActivationLayer;
import io.llt.layers.activation.TriangleLayer;
import io.llt.layers.dense.DenseLayer;
import io.llt.layers.dense.WeightInit;
import io.llt.layers.norm.BatchNormLayer;
import io.llt.layers.norm.NormKind;
import io.llt.layers.norm.NormalizeLayer;
import io.llt.layers.pool.AvgPoolLayer;
import io.llt.layers.pool.GlobalAvgPoolLayer;
import io.llt.layers.pool.MaxPoolLayer;
import io.llt.layers.residual.ResidualLayer;
import io.llt.layers.regularization.DropoutLayer;
import io.llt.layers.shape.FlattenLayer;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import io.llt.engine.testing.NativeLeakCheck;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Every layer's backward pass against central finite differences in double precision, for the
 * parameter gradients and the input gradient, with the loss L = sum(forward(x) * R).
 */
@ExtendWith(NativeLeakCheck.class)
class LayerGradientTest {
  private static final double TOL = 1e-6;

  static Stream<Arguments> layers() {
    return Stream.of(
        Arguments.of("dense relu", new DenseLayer.Config(4, true, Activation.RELU, null), new long[] {5}),
        Arguments.of("dense tanh", new DenseLayer.Config(4, true, Activation.TANH, null), new long[] {5}),
        Arguments.of("dense sigmoid", new DenseLayer.Config(3, true, Activation.SIGMOID, WeightInit.XAVIER_UNIFORM), new long[] {5}),
        Arguments.of("dense identity, no bias", new DenseLayer.Config(3, false, null, WeightInit.KAIMING_NORMAL), new long[] {5}),
        Arguments.of("dense on [1,2,3] input", new DenseLayer.Config(2, true, Activation.TANH, null), new long[] {1, 2, 3}),
        Arguments.of("activation relu", new ActivationLayer.Config(Activation.RELU), new long[] {6}),
        Arguments.of("activation tanh", new ActivationLayer.Config(Activation.TANH), new long[] {6}),
        Arguments.of("activation sigmoid", new ActivationLayer.Config(Activation.SIGMOID), new long[] {6}),
        Arguments.of("activation identity", new ActivationLayer.Config(Activation.IDENTITY), new long[] {6}),
        Arguments.of("flatten", new FlattenLayer.Config(), new long[] {2, 3}),
        Arguments.of("dropout 0.3", new DropoutLayer.Config(0.3), new long[] {6}),
        Arguments.of("normalize l2", new NormalizeLayer.Config(NormKind.L2, null), new long[] {6}),
        Arguments.of("normalize rms", new NormalizeLayer.Config(NormKind.RMS, 1e-3), new long[] {6}),
        Arguments.of("maxpool k3 s2 p1", new MaxPoolLayer.Config(3, 2, 1), new long[] {2, 5, 5}),
        Arguments.of("maxpool k2", new MaxPoolLayer.Config(2, null, null), new long[] {2, 4, 3}),
        Arguments.of("avgpool k3 s2 p1", new AvgPoolLayer.Config(3, 2, 1, null), new long[] {2, 5, 5}),
        Arguments.of("avgpool k3 s2 p1 exclude pad", new AvgPoolLayer.Config(3, 2, 1, false), new long[] {2, 5, 5}),
        Arguments.of("batchnorm affine [C,H,W]", new BatchNormLayer.Config(true, null, null), new long[] {2, 2, 3}),
        Arguments.of("batchnorm [C,H,W]", new BatchNormLayer.Config(false, null, null), new long[] {2, 2, 3}),
        Arguments.of("batchnorm affine flat", new BatchNormLayer.Config(true, null, 1e-3), new long[] {4}),
        Arguments.of("batchnorm flat", new BatchNormLayer.Config(false, null, 1e-3), new long[] {4}),
        Arguments.of("triangle 0.7", new TriangleLayer.Config(0.7), new long[] {3, 2, 2}),
        Arguments.of("triangle 1", new TriangleLayer.Config(null), new long[] {3, 2, 2}),
        Arguments.of("triangle 1.4 flat", new TriangleLayer.Config(1.4), new long[] {6}),
        Arguments.of("residual identity shortcut", new ResidualLayer.Config(2, null, null), new long[] {2, 4, 4}),
        Arguments.of("residual projection, stride 2", new ResidualLayer.Config(3, 2, null), new long[] {2, 6, 6}),
        Arguments.of("residual projection, same size", new ResidualLayer.Config(3, 1, WeightInit.UNIFORM_FAN_IN), new long[] {2, 3, 3}),
        Arguments.of("globalavgpool", new GlobalAvgPoolLayer.Config(), new long[] {3, 2, 3}),
        Arguments.of("upsample 2x3 to 5x4", new io.llt.layers.shape.UpsampleLayer.Config(5, 4), new long[] {2, 2, 3}),
        Arguments.of("upsample to 1x1", new io.llt.layers.shape.UpsampleLayer.Config(1, 1), new long[] {1, 3, 2}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void backwardMatchesFiniteDifferences(String name, LayerConfig config, long[] inShape) {
    Layer layer = config.build(inShape, DataType.DOUBLE);
    INDArray params = null;
    INDArray grads = null;
    if (layer.numParams() > 0) {
      params = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
      grads = Nd4j.zeros(DataType.DOUBLE, 1, layer.numParams());
      layer.bind(params, grads);
      layer.initialize(new SplittableRandom(11));
    }
    if (layer.numBuffers() > 0) {
      layer.bindBuffers(Nd4j.zeros(DataType.DOUBLE, 1, layer.numBuffers()));
    }
    int in = (int) Shapes.size(inShape);
    int out = (int) Shapes.size(layer.outputShape());
    INDArray x = Arrays2.gaussian(1, 3, in);
    INDArray r = Arrays2.gaussian(2, 3, out);

    layer.forward(x, true, rng());
    INDArray dx = layer.backward(r, true);
    INDArray analyticParams = grads == null ? null : grads.dup();

    java.util.function.DoubleSupplier loss =
        () -> layer.forward(x, true, rng()).mul(r).sumNumber().doubleValue();
    GradCheck.assertGradient(name + " input", loss, x, dx, TOL);
    if (params != null) {
      GradCheck.assertGradient(name + " parameters", loss, params, analyticParams, TOL);
    }
  }

  /** The same seed every call, so dropout's mask is the same in every finite-difference probe. */
  private static Random rng() {
    return Nd4j.getRandomFactory().getNewRandomInstance(1234);
  }
}
