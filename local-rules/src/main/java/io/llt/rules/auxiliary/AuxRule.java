package io.llt.rules.auxiliary;

import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.rules.common.LayerStack;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Base of the supervised local rules with an auxiliary network per block (DGL/InfoPro heads,
 * AugLocal, MAN; spec auglocal-man-pipeline.md section 1): block k computes {@code h_k =
 * f_k(sg(h_{k-1}))}, its auxiliary network g_k turns h_k into class scores, and the cross-entropy
 * {@code L_k = CE(g_k(h_k), y)} trains f_k and g_k only. The last block's auxiliary network is the
 * network's own linear classifier, so the last block is trained by the output cross-entropy.
 *
 * <p>Inference is the plain network: the last block's classifier on the chain's output (readout
 * {@code last}); the auxiliary networks of the blocks before it are not run ({@link
 * #auxiliaryScores}), except that a partial chain (a greedy phase) is read by the auxiliary head of
 * its last block.
 */
abstract class AuxRule implements LocalRule {
  /**
   * Builds the block's state; {@link #createState} and {@link #layerProblems} call it.
   *
   * @param context the block
   * @throws IllegalArgumentException naming the rule key when something does not fit
   */
  abstract AuxState buildState(BlockContext context);

  /** Returns InfoPro's loss when the rule config has the {@code infopro} key, else null. */
  InfoProLoss infopro() {
    return null;
  }

  /** Returns the note on InfoPro's loss weights of a non-final block, or null without them. */
  String infoproNote(BlockContext context) {
    InfoProLoss loss = infopro();
    if (loss == null || isLast(context)) {
      return null;
    }
    int k = context.index();
    int n = context.blockCount();
    return String.format(
        java.util.Locale.ROOT,
        "infopro: %.4g * BCE(decoder reconstruction of the input) + %.4g * CE",
        loss.reconstructionWeight(k, n), loss.taskWeight(k, n));
  }

  @Override
  public boolean readsInputImage() {
    return infopro() != null;
  }

  /**
   * Returns the state of a non-final block whose head reads {@code z} of shape {@code zShape}:
   * with InfoPro's decoder on z and this block's loss weights when the rule has the {@code
   * infopro} key.
   */
  AuxState state(BlockContext context, ManBranch branch, LayerStack body, long[] zShape) {
    InfoProLoss loss = infopro();
    if (loss == null) {
      return new AuxState(branch, body, context.numClasses(), context.dataType());
    }
    if (context.chain().isEmpty()) {
      throw new IllegalArgumentException("infopro needs the chain's input shape, which is unknown");
    }
    long[] image = context.chain().get(0).inputShape();
    LayerStack decoder =
        LayerStack.build(
            "infopro decoder", loss.decoder(zShape, image), zShape, context.dataType());
    int k = context.index();
    int n = context.blockCount();
    return new AuxState(
        branch, body, context.numClasses(), context.dataType(), decoder,
        loss.reconstructionWeight(k, n), loss.taskWeight(k, n));
  }

  @Override
  public RuleState createState(BlockContext context) {
    return buildState(context);
  }

  /** Returns true for the chain's last block, whose auxiliary network is the output layer. */
  static boolean isLast(BlockContext context) {
    return context.index() == context.blockCount() - 1;
  }

  /** The last block's state: no body, the linear output layer on the (flattened) block output. */
  static AuxState outputLayer(BlockContext context) {
    return new AuxState(
        null,
        LayerStack.build("head", List.of(), context.outputShape(), context.dataType()),
        context.numClasses(),
        context.dataType());
  }

  /** Returns the largest channel count of the chain's image layers (0 when the chain is unknown). */
  static long widest(BlockContext context) {
    long w = 0;
    for (ChainLayer l : context.chain()) {
      if (l.outputShape().length == 3) {
        w = Math.max(w, l.outputShape()[0]);
      }
    }
    return w == 0 && context.outputShape().length == 3 ? context.outputShape()[0] : w;
  }

  /**
   * Returns the body layers of a preset or explicit head for a block output of {@code shape}.
   */
  static List<LayerConfig> headLayers(
      HeadPreset preset, List<LayerConfig> head, long[] shape, long widest, int featureDim) {
    return head != null ? head : preset.layers(shape, widest, featureDim);
  }

  @Override
  public List<String> layerProblems(List<Layer> layers, BlockContext context) {
    try (AuxState s = buildState(context)) {
      return List.of();
    } catch (IllegalArgumentException e) {
      return List.of(e.getMessage());
    }
  }

  @Override
  public StepResult step(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    AuxState s = (AuxState) state;
    INDArray h = block.forward(input, true);
    ManBranch branch = s.branch();
    INDArray z = branch == null ? h : branch.forward(h, true, block.rng());
    INDArray f = s.body().forward(z, true, block.rng());
    double[] loss = new double[1];
    INDArray dg = s.classifier().headGradients(f, labels.classes(), s.taskWeight(), loss);
    INDArray dz = s.body().backward(s.classifier().inputGradient(dg));
    double total = s.taskWeight() * loss[0];
    LayerStack decoder = s.decoder();
    Map<String, Double> terms = Map.of();
    if (decoder != null) {
      INDArray image = signals.image();
      if (image == null) {
        throw new IllegalStateException(
            "block " + block.id() + ": infopro needs the input image on the signals board");
      }
      INDArray a = decoder.forward(z, true, block.rng());
      double[] rec = new double[1];
      INDArray da = InfoProLoss.bce(a, image, s.reconstructionWeight(), rec);
      dz.addi(decoder.backward(da));
      total += s.reconstructionWeight() * rec[0];
      terms = Map.of(InfoProLoss.RECONSTRUCTION_TERM, rec[0], InfoProLoss.TASK_TERM, loss[0]);
    }
    block.backward(branch == null ? dz : branch.backward(dz));
    if (branch != null && !branch.paperForm()) {
      branch.pull(block);
    }
    return new StepResult(h, total, terms);
  }

  @Override
  public void afterUpdate(Block block, RuleState state) {
    ManBranch branch = ((AuxState) state).branch();
    if (branch != null && branch.paperForm()) {
      branch.pull(block);
    }
  }

  @Override
  public INDArray scores(Block block, RuleState state, INDArray output) {
    AuxState s = (AuxState) state;
    INDArray z = s.branch() == null ? output : s.branch().forward(output, false, block.rng());
    return s.classifier().scores(s.body().forward(z, false, block.rng()));
  }

  @Override
  public boolean auxiliaryScores() {
    return true;
  }

  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(new ReadoutSpec("last", "scores", Readout.LAST));
  }
}
