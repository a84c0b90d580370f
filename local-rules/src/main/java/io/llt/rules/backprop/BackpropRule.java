package io.llt.rules.backprop;

import io.llt.engine.data.graph.NodeGraph;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.GraphEncoding;
import io.llt.engine.spi.GraphRule;
import io.llt.rules.common.GraphSoftmax;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.ShapeException;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.RuleState;
import io.llt.rules.common.SoftmaxHead;
import io.llt.rules.common.SoftmaxHeadRule;

/**
 * The backprop baseline: the {@code backprop} schedule fuses every layer of the graph into one
 * block, and this rule adds a softmax output layer (linear with bias, PyTorch's default init) and
 * cross-entropy, then chains the same layers' backward passes end to end. Using the very same
 * layer kernels as the local rules means a comparison measures the algorithm, not two
 * implementations.
 */
public final class BackpropRule extends SoftmaxHeadRule implements GraphRule {
  /**
   * Config of the baseline ({@code type: backprop}).
   *
   * @param outputLayer add the softmax output layer (default true); false takes the last layer's
   *     outputs as the class logits, so its width must be the number of classes (PyG's GCN, whose
   *     last convolution maps to the classes, as ForwardGNN's backprop baseline)
   */
  public record Config(Boolean outputLayer) implements LocalRuleConfig {
    /** Applies the default. */
    public Config {
      outputLayer = outputLayer == null || outputLayer;
    }

    /** Creates the default config (with the output layer). */
    public Config() {
      this(null);
    }

    @Override
    public LocalRule build() {
      return new BackpropRule(this);
    }
  }

  /** Registers {@code type: backprop}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "backprop";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "end-to-end backprop baseline: softmax output layer, cross-entropy, same layer kernels";
    }
  }

  private final Config config;

  private BackpropRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  @Override
  public RuleState createState(BlockContext context) {
    if (!config.outputLayer()) {
      if (context.outputSize() != context.numClasses()) {
        throw new ShapeException(
            "backprop with outputLayer: false takes the last layer's outputs as class logits, but"
                + " it has width " + context.outputSize() + " for " + context.numClasses()
                + " classes; make the last layer's width " + context.numClasses());
      }
      return RuleState.none();
    }
    return new SoftmaxHead(
        context.outputSize(), context.numClasses(), true, SoftmaxHead.Init.UNIFORM_FAN_IN);
  }

  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    if (state instanceof SoftmaxHead) {
      return super.step(block, state, input, labels, signals);
    }
    INDArray a = block.forward(input, true);
    double[] loss = new double[1];
    block.backward(SoftmaxHead.crossEntropyGradient(a, labels.classes(), loss));
    return new StepResult(a, loss[0]);
  }

  @Override
  public INDArray scores(Block block, RuleState state, INDArray output) {
    return state instanceof SoftmaxHead h ? h.scores(output) : output.dup();
  }

  private static SoftmaxHead head(RuleState state) {
    return state instanceof SoftmaxHead h ? h : null;
  }


  /** The baseline trains on batches too; it takes the whole graph when its layers need it. */
  @Override
  public boolean requiresGraph() {
    return false;
  }

  /** On graph data: the node features over the graph's edges, labels of training nodes only. */
  @Override
  public Encodings encodeGraph(NodeGraph graph, DataType dataType, long seed) {
    return GraphSoftmax.encode(graph);
  }

  /** On graph data: cross-entropy of the softmax output layer on the training nodes. */
  @Override
  public StepResult graphStep(
      Block block, RuleState state, INDArray input, GraphEncoding encoding,
      java.util.List<INDArray> above) {
    return GraphSoftmax.step(block, head(state), input, encoding);
  }

  /** On graph data: the output layer's logits for every node. */
  @Override
  public INDArray graphScores(
      Block block, RuleState state, INDArray output, GraphEncoding encoding,
      java.util.List<INDArray> above) {
    return GraphSoftmax.scores(head(state), output, encoding);
  }
}
