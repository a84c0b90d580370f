package io.llt.rules.noprop;

import io.llt.engine.BadInputException;
import io.llt.engine.data.Dataset;
import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.RuleState;
import io.llt.engine.spi.Signals;
import io.llt.rules.common.SoftmaxHead;
import io.llt.rules.noprop.NoPropRule.Prediction;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.GaussianDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One NoProp-DT block's state: its label path and fusion ({@link DenoiserHead}; the image path is
 * the block's own layers), the fixed label embedding, and on the last block the classifier f_out.
 * The head's parameters live in the block's flat parameter vector after the image path's, so the
 * block's optimizer updates all of them; their batch-norm running statistics are this state's
 * {@link #buffers()} and are checkpointed with the block. See {@link NoPropRule} for the
 * equations.
 */
final class NoPropState implements RuleState {
  /**
   * Builds the label path and fusion of a DT block, throwing {@link IllegalArgumentException}
   * naming the rule's key when they do not fit.
   *
   * @param allocate false to check the shapes only
   */
  static DenoiserHead head(
      NoPropRule.Config config,
      long imageWidth,
      int classes,
      long dimension,
      DataType dataType,
      boolean allocate) {
    boolean softmax = config.prediction() == Prediction.SOFTMAX_EMBEDDING;
    return DenoiserHead.build(
        config.labelStem(),
        config.labelResidual(),
        List.of(),
        0,
        config.fusion(),
        new DenoiserHead.FusionOutput(
            softmax ? classes : dimension,
            softmax
                ? "prediction softmax-embedding (one logit per class)"
                : "prediction logits (one value per embedding value)"),
        imageWidth,
        dimension,
        dataType,
        config.labelAblation(),
        allocate,
        config.embedding() == LabelEmbedding.Kind.PROTOTYPE ? (long) classes * dimension : 0);
  }

  /**
   * Returns the embedding dimension d of a block with per-example input shape {@code inputShape}:
   * C for the one-hot embedding, the image size for prototypes.
   */
  static long dimension(NoPropRule.Config config, long[] inputShape, int classes) {
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      return classes;
    }
    long n = 1;
    for (long v : inputShape) {
      n *= v;
    }
    return n;
  }

  /** The prototypes of the last training split asked for: every block of a chain asks alike. */
  private static WeakReference<INDArray> lastFeatures = new WeakReference<>(null);

  private static double[][] lastPrototypes;

  private static synchronized double[][] prototypes(Dataset train) {
    if (lastFeatures.get() != train.features()) {
      lastPrototypes = Prototypes.medoids(train);
      lastFeatures = new WeakReference<>(train.features());
    }
    return lastPrototypes;
  }

  private static final String[] CHAINS = {NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC};

  private final NoPropRule.Config config;
  private final int t;
  private final int steps;
  private final NoiseSchedule schedule;
  private final DtSampler.Coefficients reverse;
  private final int classes;
  private final long dimension;
  // the one-hot matrix, or the prototypes as the buffers hold them (null until set)
  private LabelEmbedding embedding;
  private final DenoiserHead head;
  private final SoftmaxHead readout;
  private final DataType dataType;
  private final INDArray embeddingMatrix;

  /** Creates the state of block {@code context.index() + 1} of a chain of {@code context.blockCount()}. */
  NoPropState(NoPropRule.Config config, BlockContext context, NoiseSchedule schedule) {
    this.config = config;
    this.t = context.index() + 1;
    this.steps = context.blockCount();
    this.schedule = schedule;
    this.reverse = new DtSampler(schedule, false).coefficients(t);
    this.classes = context.numClasses();
    this.dimension = dimension(config, context.inputShape(), classes);
    this.dataType = context.dataType();
    this.head = head(config, context.outputSize(), classes, dimension, dataType, true);
    this.readout =
        t == steps
            ? new SoftmaxHead(dimension, classes, true, SoftmaxHead.Init.UNIFORM_FAN_IN)
            : null;
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      LabelEmbedding oneHot = LabelEmbedding.oneHot(classes);
      this.embedding = oneHot;
      try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
        double[][] w = new double[classes][];
        for (int k = 0; k < classes; k++) {
          w[k] = oneHot.embedding(k);
        }
        INDArray host = Nd4j.create(w);
        this.embeddingMatrix = host.castTo(dataType);
        if (embeddingMatrix != host) {
          host.close();
        }
      }
    } else {
      // the prototypes live in the head's checkpointed buffers, zeros until prepare or a restore
      this.embeddingMatrix = head.extraBuffers().reshape('c', classes, dimension);
    }
  }

  /**
   * Computes the prototype embedding from the training split, once: not again after a checkpoint
   * set it (a restore before the trainer is built), and never for the one-hot embedding.
   */
  @Override
  public void prepare(Dataset train) {
    if (embedding != null) {
      return;
    }
    long d = train.features().size(1);
    if (d != dimension || train.numClasses() != classes) {
      throw new BadInputException(
          "NoProp block t = " + t + " has a prototype embedding of " + classes + " x " + dimension
              + " but the training split has " + train.numClasses() + " classes of " + d
              + " values; make model.input match the data");
    }
    double[][] rows = prototypes(train);
    try (INDArray host = Nd4j.create(rows)) {
      embeddingMatrix.assign(host);
    }
    restored();
  }

  /** Rebuilds the host copy of the prototypes from the buffers a checkpoint (or prepare) wrote. */
  @Override
  public void restored() {
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      return;
    }
    double[] flat = embeddingMatrix.dup('c').data().asDouble();
    double[][] rows = new double[classes][];
    for (int k = 0; k < classes; k++) {
      rows[k] = Arrays.copyOfRange(flat, (int) (k * dimension), (int) ((k + 1) * dimension));
    }
    embedding = LabelEmbedding.of(rows);
  }

  /**
   * Returns the label embedding: the one-hot matrix, or the prototypes (set by {@link #prepare},
   * or by a checkpoint's restore).
   *
   * @throws IllegalStateException when the prototypes were never set
   */
  LabelEmbedding embedding() {
    if (embedding == null) {
      throw new IllegalStateException(
          "NoProp block t = " + t + ": the prototype embedding was never computed; build a"
              + " Trainer on the training data (RuleState#prepare) or restore a checkpoint");
    }
    return embedding;
  }

  private static INDArray slice(INDArray flat, long off, long n) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + n));
  }

  /** Returns the block's time index t, in [1, T]. */
  int t() {
    return t;
  }

  @Override
  public long numParams() {
    return head.numParams() + (readout == null ? 0 : readout.numParams());
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long off = head.numParams();
    head.bind(slice(params, 0, off), slice(grads, 0, off));
    if (readout != null) {
      long n = readout.numParams();
      readout.bind(slice(params, off, n), slice(grads, off, n));
    }
  }

  @Override
  public void initialize(SplittableRandom rng) {
    head.initialize(rng);
    if (readout != null) {
      readout.initialize(new SplittableRandom(rng.nextLong()));
    }
  }

  @Override
  public INDArray buffers() {
    return head.buffers();
  }

  /**
   * Counts per example, in elements: the clean embeddings u, the noise and sqrt(abar) u for the
   * draw of z_{t-1}; the head's own count ({@link DenoiserHead#workingValuesPerExample}); the
   * logits' host copy and dl (built as DOUBLE, then cast); on the last block the draw of z_T (two more d-sized arrays) and the classifier head's own count.
   */
  @Override
  public long workingValuesPerExample() {
    long d = dimension;
    long w = dataType.width();
    long n = 3 * d + head.workingValuesPerExample();
    long out = head.outputWidth();
    n += out + out * 8 / w + (w == 8 ? 0 : out);
    if (readout != null) {
      n += 2 * d + readout.workingValuesPerExample();
    }
    return n;
  }

  /** Returns u = onehot(y) W_Embed, {@code [batch, d]}. */
  private INDArray clean(Labels labels) {
    INDArray y = labels.oneHot();
    INDArray u = Nd4j.createUninitialized(dataType, new long[] {y.size(0), dimension}, 'c');
    Nd4j.gemm(y, embeddingMatrix, u, false, false, 1.0, 0.0);
    return u;
  }

  /** Returns a draw of q(z_level | y): {@code sqrt(abar) u + sqrt(1 - abar) eps}. */
  private INDArray draw(INDArray u, int level, Random rng) {
    double a = schedule.alphaBar(level);
    INDArray eps = Nd4j.createUninitialized(dataType, u.shape(), 'c');
    Nd4j.getExecutioner().exec(new GaussianDistribution(eps, 0.0, 1.0), rng);
    return eps.muli(Math.sqrt(1 - a)).addi(u.mul(Math.sqrt(a)));
  }

  /**
   * The label path and the fusion on image features {@code hx} and noisy labels {@code z} (as the
   * ablation has it): returns the fusion's output (logits, or the prediction itself under {@code
   * prediction: logits}).
   */
  INDArray head(INDArray hx, INDArray z, boolean training, Random rng) {
    return head.forward(hx, z, null, training, rng);
  }

  /**
   * The denoising term and its gradient for a batch whose noisy labels are given: forward through
   * the whole block in training mode, {@code w_t mean_b ||uhat - u_y||^2} on the host in double
   * precision, and the backward. Writes the gradients of the image path, label path and fusion.
   *
   * @param block the block
   * @param x the images {@code [batch, prod(inputShape)]}
   * @param classes the class of each row
   * @param z the noisy labels z_{t-1} {@code [batch, d]}
   * @return the batch mean of the weighted denoising term
   */
  double denoise(Block block, INDArray x, int[] classes, INDArray z) {
    LabelEmbedding emb = embedding();
    INDArray hx = block.forward(x, true);
    INDArray out = head(hx, z, true, block.rng());
    int batch = (int) out.size(0);
    int k = (int) out.size(1);
    double[] o = out.dup('c').data().asDouble();
    double weight = schedule.lossWeight(t, config.eta());
    double[] dOut = new double[batch * k];
    double loss = 0;
    for (int b = 0; b < batch; b++) {
      double[] row = Arrays.copyOfRange(o, b * k, (b + 1) * k);
      if (config.prediction() == Prediction.SOFTMAX_EMBEDDING) {
        loss += weight * emb.squaredError(row, classes[b], weight / batch, dOut, b * k);
      } else {
        // uhat = l: e = ||l - u_y||^2, de/dl = 2 (l - u_y)
        double[] u = emb.embedding(classes[b]);
        for (int j = 0; j < k; j++) {
          double e = row[j] - u[j];
          loss += weight * e * e;
          dOut[b * k + j] = 2 * weight * e / batch;
        }
      }
    }
    INDArray g = Nd4j.create(dOut, new long[] {batch, k}, 'c').castTo(dataType);
    head.backward(block, g);
    return loss / batch;
  }

  /** Returns the batch mean of the prior term KL(q(z_0 | y) || N(0, I)) (no gradient: fixed embedding). */
  double priorKl(int[] classes) {
    LabelEmbedding e = embedding();
    double kl = 0;
    for (int y : classes) {
      kl += DtLoss.priorKl(schedule, e.embedding(y));
    }
    return kl / classes.length;
  }

  /**
   * One training step of block t (spec 2(b), Algorithm 1): draws z_{t-1} from q, computes the
   * denoising term with its gradients, adds the constant KL and, on the last block, the classifier
   * term on a fresh draw of z_T with the classifier's gradients.
   *
   * @return the block's loss, averaged over the batch
   */
  double trainStep(Block block, INDArray x, Labels labels) {
    INDArray u = clean(labels);
    INDArray z = draw(u, t - 1, block.rng());
    double loss = denoise(block, x, labels.classes(), z) + priorKl(labels.classes());
    if (readout != null) {
      INDArray zT = draw(u, steps, block.rng());
      double[] ce = new double[1];
      readout.headGradients(zT, labels.classes(), ce);
      loss += ce[0];
    }
    return loss;
  }

  /**
   * Inference through block t for both chains: reads z_{t-1} of each from the board (block 1
   * starts them: a draw of N(0, I) for {@code stochastic}, the prior's mean 0 for {@code
   * deterministic}), applies the reverse step, publishes z_t, and on the last block returns f_out's
   * scores of each chain's z_T.
   */
  Map<String, INDArray> infer(Block block, INDArray x, Signals signals) {
    embedding(); // fails fast on prototypes that were never set
    INDArray hx = block.forward(x, false);
    Map<String, INDArray> scores = new LinkedHashMap<>();
    for (String chain : CHAINS) {
      boolean stochastic = chain.equals(NoPropRule.STOCHASTIC);
      INDArray previous;
      if (t == 1) {
        previous = Nd4j.zeros(dataType, x.size(0), dimension);
        if (stochastic) {
          Nd4j.getExecutioner().exec(new GaussianDistribution(previous, 0.0, 1.0), block.rng());
        }
      } else {
        previous = signals.get(block.index() - 1, chain);
        if (previous == null) {
          throw new IllegalStateException(
              "NoProp block t = " + t + " needs z_" + (t - 1) + " of the block before it on the"
                  + " batch's board; the chain must run from its first block");
        }
      }
      INDArray z = step(head(hx, previous, false, block.rng()), previous, stochastic, block.rng());
      signals.put(block.index(), chain, z);
      if (readout != null) {
        scores.put(chain, readout.scores(z));
      }
    }
    return scores;
  }

  /**
   * The reverse step {@code z_t = a_t uhat + b_t z_{t-1} (+ sqrt(c_t) eps)} from the head's output.
   *
   * @param out the head's output for z_{t-1}
   * @param previous z_{t-1}
   * @param stochastic whether to add the noise term
   * @param rng the source of eps
   */
  INDArray step(INDArray out, INDArray previous, boolean stochastic, Random rng) {
    INDArray uhat;
    if (config.prediction() == Prediction.SOFTMAX_EMBEDDING) {
      INDArray p = Transforms.softmax(out, true);
      uhat = Nd4j.createUninitialized(dataType, previous.shape(), 'c');
      Nd4j.gemm(p, embeddingMatrix, uhat, false, false, 1.0, 0.0);
    } else {
      uhat = out;
    }
    INDArray z = uhat.mul(reverse.a()).addi(previous.mul(reverse.b()));
    if (stochastic) {
      INDArray eps = Nd4j.createUninitialized(dataType, previous.shape(), 'c');
      Nd4j.getExecutioner().exec(new GaussianDistribution(eps, 0.0, 1.0), rng);
      z.addi(eps.muli(Math.sqrt(reverse.c())));
    }
    return z;
  }

  @Override
  public void close() {
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      embeddingMatrix.close();
    }
    head.close();
  }
}
