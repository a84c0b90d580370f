package io.llt.rules.noprop;

import io.llt.engine.config.Checks;
import io.llt.engine.config.InvalidValueException;
import io.llt.engine.config.Schedule;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.BlockInference;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.LocalRuleProvider;
import io.llt.engine.spi.Readout;
import io.llt.engine.spi.ReadoutSpec;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * NoProp-DT (Li, Teh, Pascanu, arXiv 2503.24322): T blocks that each learn to denoise a label
 * embedding, with no forward or backward pass through the network at training time. Spec:
 * specs/monoforward-noprop-softhebb.md section 2.
 *
 * <p>Every block of the chain is one denoising block u_t, t = index + 1, T = the number of blocks.
 * A block is the spec's architecture of 2(d): its {@code layers} are the <i>image path</i> (the
 * engine's ordinary block layers, run on the image x); this rule adds the <i>label path</i> on the
 * noisy label z ({@link Config#labelStem}, then {@link Config#labelResidual} with a skip
 * connection around it), and the <i>fusion</i> on the concatenated image and label features
 * ({@link Config#fusion}), which ends in logits l. The prediction is {@code uhat = softmax(l)
 * W_Embed} (paper Fig. 6), or the logits themselves ({@code prediction: logits}, the variant the
 * Halachev reproduction found more stable, pitfall 5). Every block {@linkplain #handsOnInput hands
 * on the image}, so each reads x; the noisy labels of inference travel on the batch's {@link
 * Signals} board.
 *
 * <p>Training step of block t on a batch (x, y), exactly Algorithm 1 with the loss of paper eq. 8
 * (spec 2(b)):
 *
 * <pre>
 *   z_{t-1} = sqrt(abar_{t-1}) u_y + sqrt(1 - abar_{t-1}) eps     eps ~ N(0, I), per example
 *   L_t = (T/2) eta (SNR(t) - SNR(t-1)) mean_b ||uhat_t(z_{t-1}, x) - u_y||^2
 *       + mean_b KL( q(z_0 | y) || N(0, I) )
 *       [ + mean_b -log softmax(f_out(z_T))[y],   z_T ~ q(z_T | y)    last block only ]
 * </pre>
 *
 * <p>Gradients stay inside the block (its image path, label path and fusion; pitfall 8: NoProp is
 * not gradient-free). The noise levels are the fixed cosine schedule of {@link NoiseSchedule} with
 * the last level clipped at {@link Config#maxSignal}; every block's level and weight are shown
 * before a run ({@link #notes}).
 *
 * <p><b>Shared parts.</b> By default the label embedding is fixed: the one-hot matrix (d = C) or
 * the class prototypes ({@code embedding: prototype}: each class's training medoid by median
 * distance, d = the image size; {@link Prototypes}), which every block computes alike from the
 * training split when a trainer is built and keeps in its checkpointed buffers. Nothing is
 * shared between blocks that an optimizer updates, so the blocks are independent given (x, y) and
 * their own noise, and may train in any order or on different stage threads. The KL term is then a
 * constant (spec 2(b)); it is reported in the loss and carries no gradient. The linear classifier
 * f_out (with bias) on z_T belongs to the last block's state and is trained by that block's step on
 * fresh draws of q(z_T | y): it reads no block output, so it is independent of the blocks too. The
 * paper updates it from every block's step (T updates per batch); here it gets one per batch.
 *
 * <p>With {@code trainEmbedding: true} (the default of {@code embedding: learned}, d = {@code
 * embeddingDim}) W_Embed and f_out are one parameter group shared by all blocks, as in the
 * paper: the last block owns it and every block's loss is Algorithm 1's {@code L_t = CE + KL +
 * denoising term}, with the gradient with respect to W_Embed through the prediction, the target
 * u_y and both draws (z_{t-1} and z_T are reparameterised in u_y). The owner's optimizer updates
 * the group once per batch with the sum of the T blocks' gradients ({@link SharedEmbedding}); the
 * paper's loop makes one update per block and batch instead.
 *
 * <p><b>Inference</b> (spec 2(c)) runs two chains side by side through the blocks, each block
 * encoding the image once: {@code stochastic}, the paper's sampler from z_0 ~ N(0, I) with the
 * noise term {@code sqrt(c_t) eps}, and {@code deterministic}, with no noise at all (z_0 is the
 * prior's mean 0 and each step is the posterior mean; Sid3503/NoProp#4 dropped only the step
 * noise, our start from the mean makes the readout a function of the image alone). The last block
 * classifies each chain's z_T with f_out; {@code llt eval} reports both readouts.
 *
 * <p>{@code labelAblation} is the ablation of spec 2(g) 7(a), in training and at inference:
 * {@code zero-input} feeds zeros to every block's label path (the spec's words; degenerate with
 * batch norm in the label path, see {@link LabelAblation#ZERO_INPUT}), {@code zero-features}
 * feeds zeros to the fusion in place of the label path. Either way the denoising chain carries
 * nothing and each block is a classifier of the image alone.
 */
public final class NoPropRule implements LocalRule {
  /** How a block's logits become its prediction uhat (spec 2(f), pitfall 5). */
  public enum Prediction {
    /** {@code uhat = softmax(l) W_Embed}, a convex combination of the class embeddings (paper). */
    SOFTMAX_EMBEDDING,
    /** {@code uhat = l}: the fusion's output is the prediction itself (Halachev reproduction). */
    LOGITS
  }

  /**
   * Config of NoProp-DT ({@code type: noprop}). The three layer lists are required (see
   * configs/fashion-mnist/noprop-dt.yaml for the spec's architecture, 2(d)).
   *
   * @param eta the denoising weight eta; default 0.1 (the paper's DT value); > 0
   * @param maxSignal the clip of the last signal level abar_T; default 0.9999, the spec's formula
   *     (the paper's clip is unverified; with the cosine offset 0.008 it does not bind and abar_T =
   *     0.99984); pitfall 2 advises at most 0.99 to bound the last block's weight
   * @param prediction {@code softmax-embedding} (default, the paper's) or {@code logits}
   * @param labelAblation {@code none} (default), {@code zero-input} (every label path reads zeros,
   *     the spec's literal ablation, degenerate with batch norm) or {@code zero-features} (the
   *     fusion reads zeros in place of the label path); {@link LabelAblation}
   * @param labelStem the label path's first layers, on z ({@code [d]}), for example FC(256), BN,
   *     ReLU
   * @param labelResidual the layers around which the label path has a skip connection (their
   *     output must have the stem's shape), for example FC(256), BN, ReLU, FC(256), BN; may be
   *     empty
   * @param fusion the layers on the concatenated image and label features; the last must output
   *     C values for {@code softmax-embedding} (d for {@code logits}; d = C for the one-hot
   *     embedding)
   * @param embedding the label embedding's initial values: {@code one-hot} (default, d = C), {@code
   *     prototype} (each class's training medoid, d = the image size) or {@code learned} (random
   *     N(0, 0.1^2), d = {@code embeddingDim})
   * @param embeddingDim the embedding dimension d of {@code embedding: learned}; default 256 (the
   *     reproductions' value); not allowed with the other embeddings, whose d is fixed
   * @param trainEmbedding whether W_Embed is trained, shared by all blocks (with f_out) and
   *     updated from every block's loss ({@link SharedEmbedding}); default true for {@code
   *     learned}, false for {@code one-hot} and {@code prototype} (the paper's fixed forms)
   */
  public record Config(
      Double eta,
      Double maxSignal,
      Prediction prediction,
      LabelAblation labelAblation,
      List<LayerConfig> labelStem,
      List<LayerConfig> labelResidual,
      List<LayerConfig> fusion,
      LabelEmbedding.Kind embedding,
      Integer embeddingDim,
      Boolean trainEmbedding)
      implements LocalRuleConfig {
    /** The default dimension of a learned embedding (spec 2(d): 256 in the reproductions). */
    public static final int DEFAULT_EMBEDDING_DIM = 256;

    /** Validates and applies defaults. */
    public Config {
      eta = eta == null ? 0.1 : eta;
      Checks.positive("eta", eta);
      maxSignal = maxSignal == null ? NoiseSchedule.SPEC_MAX_SIGNAL : maxSignal;
      if (!(maxSignal > 0 && maxSignal < 1)) {
        throw new InvalidValueException(
            "maxSignal", "must be in (0, 1), found " + maxSignal + "; the spec's clip is 0.9999");
      }
      prediction = prediction == null ? Prediction.SOFTMAX_EMBEDDING : prediction;
      labelAblation = labelAblation == null ? LabelAblation.NONE : labelAblation;
      labelStem = DenoiserHead.requiredLayers(
          "labelStem", labelStem, "the label path's first layers, for example"
              + " [{type: dense, units: 256}, {type: batchnorm}, {type: activation, function: relu}]");
      labelResidual = labelResidual == null ? List.of() : List.copyOf(labelResidual);
      fusion = DenoiserHead.requiredLayers(
          "fusion", fusion, "the layers on the concatenated features, ending in one output per"
              + " class, for example [{type: dense, units: 256}, {type: batchnorm}, {type: activation, function: relu},"
              + " {type: dense, units: 10}]");
      embedding = embedding == null ? LabelEmbedding.Kind.ONE_HOT : embedding;
      if (embeddingDim != null && embedding != LabelEmbedding.Kind.LEARNED) {
        throw new InvalidValueException(
            "embeddingDim",
            "applies to embedding: learned only (one-hot has d = C, prototype d = the image"
                + " size); remove it or set embedding: learned");
      }
      if (embedding == LabelEmbedding.Kind.LEARNED) {
        embeddingDim = embeddingDim == null ? DEFAULT_EMBEDDING_DIM : embeddingDim;
        if (embeddingDim < 1) {
          throw new InvalidValueException(
              "embeddingDim", "must be >= 1, found " + embeddingDim + "; the reproductions use 256");
        }
      }
      trainEmbedding =
          trainEmbedding == null ? embedding == LabelEmbedding.Kind.LEARNED : trainEmbedding;
      if (embedding == LabelEmbedding.Kind.LEARNED && !trainEmbedding) {
        throw new InvalidValueException(
            "trainEmbedding",
            "must be true for embedding: learned (a random embedding is only a starting point);"
                + " for a fixed embedding use one-hot or prototype");
      }
    }

    @Override
    public LocalRule build() {
      return new NoPropRule(this);
    }
  }

  /** Registers {@code type: noprop}. */
  public static final class Provider implements LocalRuleProvider {
    @Override
    public String id() {
      return "noprop";
    }

    @Override
    public Class<Config> configType() {
      return Config.class;
    }

    @Override
    public String description() {
      return "NoProp-DT: each block denoises a noisy label embedding given the image (Li et al.)";
    }
  }

  /** The readout name (and score key) of the paper's stochastic sampler: the headline. */
  public static final String STOCHASTIC = "stochastic";

  /** The readout name (and score key) of the noise-free sampler. */
  public static final String DETERMINISTIC = "deterministic";

  private final Config config;

  private NoPropRule(Config config) {
    this.config = config;
  }

  @Override
  public Config config() {
    return config;
  }

  /** Returns the schedule of a chain of {@code steps} blocks under this config. */
  NoiseSchedule schedule(int steps) {
    return NoiseSchedule.cosine(steps, config.maxSignal());
  }

  @Override
  public RuleState createState(BlockContext context) {
    return new NoPropState(config, context, schedule(context.blockCount()));
  }

  @Override
  public StepResult step(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    NoPropState s = (NoPropState) state;
    Map<String, Double> terms = new HashMap<>();
    double loss = s.trainStep(block, input, labels, terms);
    return new StepResult(input, loss, terms);
  }

  @Override
  public INDArray pass(Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return input;
  }

  @Override
  public BlockInference infer(Block block, RuleState state, INDArray input, Signals signals) {
    return new BlockInference(input, ((NoPropState) state).infer(block, input, signals));
  }

  /**
   * Per block ({@code llt eval --per-block}): the block's own prediction, argmax of its logits, on
   * each chain's z_{t-1} ({@code stochastic-chain}, {@code deterministic-chain}) and on a draw of
   * q(z_{t-1} | y) from the true label, its training noise level ({@code own-noise}, the spec's
   * ablation 2(g) 7(c)); the last block adds f_out's two readouts.
   */
  @Override
  public BlockInference probe(
      Block block, RuleState state, INDArray input, Labels labels, Signals signals) {
    return new BlockInference(input, ((NoPropState) state).probe(block, input, labels, signals));
  }

  @Override
  public boolean handsOnInput() {
    return true;
  }

  /** The owner of a trained embedding publishes the updated values to the other blocks. */
  @Override
  public void afterUpdate(Block block, RuleState state) {
    ((NoPropState) state).afterUpdate();
  }

  /** Two readouts, both the last block's f_out(z_T): {@code stochastic} (headline), {@code deterministic}. */
  @Override
  public List<ReadoutSpec> readouts() {
    return List.of(
        new ReadoutSpec(STOCHASTIC, STOCHASTIC, Readout.LAST),
        new ReadoutSpec(DETERMINISTIC, DETERMINISTIC, Readout.LAST));
  }

  @Override
  public String rowLayout() {
    return "images (every NoProp block reads the image)";
  }

  @Override
  public String scheduleProblem(Schedule schedule) {
    return switch (schedule) {
      case GREEDY -> "NoProp's blocks are independent given the image and their own noise, and"
          + " only the last one classifies, so there is nothing to freeze and no prefix of the"
          + " chain to evaluate; use trainer.schedule: simultaneous (every block steps on every"
          + " batch) or pipelined (blocks on stage threads)";
      case BACKPROP -> "a NoProp model is T denoising blocks that each read the image, not one"
          + " chain of layers; the backprop baseline trains one block's architecture as a plain"
          + " classifier in its own config (configs/fashion-mnist/noprop-dt-backprop.yaml)";
      default -> null;
    };
  }

  @Override
  public List<String> layerProblems(List<Layer> layers, BlockContext context) {
    List<String> out = new ArrayList<>();
    try {
      schedule(context.blockCount());
    } catch (IllegalArgumentException e) {
      out.add("rule: " + e.getMessage());
    }
    if (context.numClasses() < 2) {
      return out;
    }
    long image = 1;
    for (long d : layers.get(layers.size() - 1).outputShape()) {
      image *= d;
    }
    try {
      NoPropState.head(
          config,
          image,
          context.numClasses(),
          NoPropState.dimension(config, context.inputShape(), context.numClasses()),
          DataType.FLOAT,
          false);
    } catch (IllegalArgumentException e) {
      out.add(e.getMessage());
    }
    return out;
  }

  /** Describes the label embedding and, when it is trained, who owns and updates it. */
  private String embeddingNote(int steps) {
    String what =
        switch (config.embedding()) {
          case ONE_HOT -> "one-hot (d = C)";
          case PROTOTYPE -> "prototype (each class's training medoid, d = the image size)";
          case LEARNED ->
              "learned (d = " + config.embeddingDim() + ", initial entries N(0, "
                  + NoPropState.LEARNED_SCALE + "^2))";
        };
    if (!config.trainEmbedding()) {
      return "label embedding: " + what + ", fixed; f_out belongs to this block";
    }
    return "label embedding: " + what + ", trained: W_Embed and f_out are shared by all " + steps
        + " blocks and owned by this one, whose optimizer updates them with the sum of every"
        + " block's gradient (each block's loss has the classifier term, as in Algorithm 1)";
  }

  @Override
  public List<String> notes(BlockContext context) {
    int steps = context.blockCount();
    int t = context.index() + 1;
    NoiseSchedule s = schedule(steps);
    List<String> out = new ArrayList<>();
    out.add(
        String.format(
            Locale.ROOT,
            "NoProp block t = %d of T = %d: trains on z_%d ~ q(z|y) at signal level abar = %.5f;"
                + " denoising weight (T/2) eta (SNR(t) - SNR(t-1)) = %.4g",
            t, steps, t - 1, s.alphaBar(t - 1), s.lossWeight(t, config.eta())));
    if (t == steps) {
      out.add(embeddingNote(steps));
      double[] w = new double[steps];
      for (int k = 1; k <= steps; k++) {
        w[k - 1] = s.lossWeight(k, config.eta());
      }
      out.add(
          String.format(
              Locale.ROOT,
              "the classifier f_out trains on z_T ~ q(z_T|y) at abar_T = %.5f (maxSignal %s%s);"
                  + " block weights %s",
              s.alphaBar(steps),
              config.maxSignal(),
              s.alphaBar(steps) < config.maxSignal() ? ", not binding" : ", clipped",
              Arrays.toString(
                  Arrays.stream(w).mapToObj(v -> String.format(Locale.ROOT, "%.3g", v)).toArray())));
    }
    return out;
  }
}
