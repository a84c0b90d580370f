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
 * the block's own layers), the label embedding, and the classifier f_out. The head's parameters
 * live in the block's flat parameter vector after the image path's, so the block's optimizer
 * updates all of them; their batch-norm running statistics are this state's {@link #buffers()}
 * and are checkpointed with the block. See {@link NoPropRule} for the equations.
 *
 * <p>With a fixed embedding f_out belongs to the last block alone. With a trained one ({@code
 * trainEmbedding: true}) f_out and W_Embed are one parameter group shared by every block through
 * a {@link SharedEmbedding}: the last block owns them (they end its parameter vector, laid out as
 * f_out then W_Embed), every other block works on a copy it reads at each step and sends its
 * gradient back, and every block's loss carries the classifier term, as in Algorithm 1.
 */
final class NoPropState implements RuleState {
  /** The name of the weighted denoising term, {@code w_t mean_b ||uhat - u_y||^2}, in the logged terms. */
  static final String DENOISING_TERM = "denoising";

  /** The name of the prior term KL(q(z_0 | y) || N(0, I)) in the logged terms. */
  static final String KL_TERM = "kl";

  /** The name of the classifier's cross-entropy on a draw of z_T in the logged terms. */
  static final String CLASSIFIER_TERM = "classifier";

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
        fixedPrototypes(config) ? (long) classes * dimension : 0);
  }

  /** True for the fixed prototype embedding, which lives in every block's buffers. */
  private static boolean fixedPrototypes(NoPropRule.Config config) {
    return config.embedding() == LabelEmbedding.Kind.PROTOTYPE && !config.trainEmbedding();
  }

  /**
   * Returns the embedding dimension d of a block with per-example input shape {@code inputShape}:
   * C for the one-hot embedding, the image size for prototypes, {@code embeddingDim} for learned.
   */
  static long dimension(NoPropRule.Config config, long[] inputShape, int classes) {
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      return classes;
    }
    if (config.embedding() == LabelEmbedding.Kind.LEARNED) {
      return config.embeddingDim();
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

  private static final String CHAIN_SUFFIX = "-chain";

  /** Probe score: block t's prediction on the stochastic chain's z_{t-1}. */
  static final String STOCHASTIC_CHAIN = "stochastic" + CHAIN_SUFFIX;

  /** Probe score: block t's prediction on the deterministic chain's z_{t-1}. */
  static final String DETERMINISTIC_CHAIN = "deterministic" + CHAIN_SUFFIX;

  /** Probe score: block t's prediction on a draw of q(z_{t-1} | y), its training noise level. */
  static final String OWN_NOISE = "own-noise";

  private final NoPropRule.Config config;
  private final int t;
  private final int steps;
  private final NoiseSchedule schedule;
  private final DtSampler.Coefficients reverse;
  private final int classes;
  private final long dimension;
  // the embedding's values on the host: the one-hot matrix, the prototypes as the buffers hold
  // them (null until set), or the trained values of the current step
  private LabelEmbedding embedding;
  private final DenoiserHead head;
  // f_out: the last block's; with a trained embedding every block's (bound to its copy)
  private final SoftmaxHead readout;
  private final DataType dataType;
  // W_Embed [C, d] on the device: constant, a view of the buffers, or of the shared values
  private INDArray embeddingMatrix;
  // the trained (shared) embedding: whether this block owns it, the exchange, the shared values
  // (f_out then W_Embed; the owner's are views of its parameters) and the gradient of W_Embed
  private final boolean trained;
  private final boolean owner;
  private SharedEmbedding shared;
  private INDArray sharedParams;
  private INDArray sharedGrads;
  private INDArray embeddingGrad;

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
    this.trained = config.trainEmbedding();
    this.owner = t == steps;
    this.readout =
        owner || trained
            ? new SoftmaxHead(dimension, classes, true, SoftmaxHead.Init.UNIFORM_FAN_IN)
            : null;
    if (trained) {
      long n = readout.numParams() + classes * dimension;
      if (owner) {
        // the values are bound in bind(), as the end of the block's parameters
        this.shared = new SharedEmbedding(dataType, n);
      } else {
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          this.sharedParams = Nd4j.zeros(dataType, 1, n);
          this.sharedGrads = Nd4j.zeros(dataType, 1, n);
        }
        bindShared();
      }
    } else if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
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

  /** Binds f_out and W_Embed (and their gradients) to the shared values' slices. */
  private void bindShared() {
    long r = readout.numParams();
    long w = classes * dimension;
    readout.bind(slice(sharedParams, 0, r), slice(sharedGrads, 0, r));
    embeddingMatrix = slice(sharedParams, r, w).reshape('c', classes, dimension);
    embeddingGrad = slice(sharedGrads, r, w).reshape('c', classes, dimension);
  }

  /**
   * Finds the last block's shared embedding when this block trains it with the others (see
   * {@link SharedEmbedding}).
   */
  @Override
  public void link(int index, List<RuleState> chain) {
    if (!trained || owner) {
      return;
    }
    RuleState last = chain.get(chain.size() - 1);
    if (!(last instanceof NoPropState s) || s.shared == null
        || s.shared.length() != sharedParams.length()) {
      throw new IllegalStateException(
          "NoProp block t = " + t + " trains its label embedding with the last block's, but the"
              + " last block is not a NoProp-DT block with the same embedding and"
              + " trainEmbedding: true; give every block the same rule");
    }
    shared = s.shared;
  }

  /**
   * Computes the prototype embedding from the training split, once: not again after a checkpoint
   * set it (a restore before the trainer is built), and never for the one-hot or learned
   * embeddings. A trained prototype embedding is set by the last block, which shares it.
   */
  @Override
  public void prepare(Dataset train) {
    if (config.embedding() != LabelEmbedding.Kind.PROTOTYPE) {
      return;
    }
    if (trained && (!owner || shared.ready())) {
      return;
    }
    if (!trained && embedding != null) {
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

  /**
   * Rebuilds the host copy of fixed prototypes from the buffers a checkpoint (or prepare) wrote;
   * the owner of a trained embedding publishes the values a checkpoint (or prepare) set.
   */
  @Override
  public void restored() {
    if (trained) {
      if (owner) {
        shared.publish(sharedParams);
      }
      return;
    }
    if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      return;
    }
    embedding = LabelEmbedding.of(hostRows());
  }

  /** The owner of a trained embedding publishes its values after every update. */
  void afterUpdate() {
    if (trained && owner) {
      shared.publish(sharedParams);
    }
  }

  /**
   * Brings the embedding up to date for a step or an inference batch: a block that shares a
   * trained embedding copies the values last published (the owner has them as its parameters),
   * and the host copy is rebuilt from them.
   *
   * @throws IllegalStateException when fixed prototypes or a trained prototype embedding were never
   *     set
   */
  private void refresh() {
    if (!trained) {
      embedding();
      return;
    }
    if (!owner) {
      shared.read(sharedParams);
    } else if (!shared.ready()) {
      throw new IllegalStateException(
          "NoProp block t = " + t + ": the prototype embedding was never computed; build a"
              + " Trainer on the training data (RuleState#prepare) or restore a checkpoint");
    }
    embedding = LabelEmbedding.of(hostRows());
  }

  /** Returns the device embedding's rows on the host. */
  private double[][] hostRows() {
    double[] flat;
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces();
        INDArray c = embeddingMatrix.dup('c')) {
      flat = c.data().asDouble();
    }
    double[][] rows = new double[classes][];
    for (int k = 0; k < classes; k++) {
      rows[k] = Arrays.copyOfRange(flat, (int) (k * dimension), (int) ((k + 1) * dimension));
    }
    return rows;
  }

  /**
   * Returns the label embedding: the one-hot matrix, the prototypes (set by {@link #prepare}, or
   * by a checkpoint's restore), or a trained embedding's values at the last step or inference.
   *
   * @throws IllegalStateException when the prototypes were never set
   */
  LabelEmbedding embedding() {
    if (trained && embedding == null) {
      refresh();
    }
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
    if (!owner) {
      return head.numParams();
    }
    return head.numParams() + readout.numParams() + (trained ? classes * dimension : 0);
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long off = head.numParams();
    head.bind(slice(params, 0, off), slice(grads, 0, off));
    if (owner) {
      long n = readout.numParams();
      if (trained) {
        n += classes * dimension;
        sharedParams = slice(params, off, n);
        sharedGrads = slice(grads, off, n);
        bindShared();
      } else {
        readout.bind(slice(params, off, n), slice(grads, off, n));
      }
    }
  }

  /**
   * Initialises the head, the last block's f_out and, on the owner of a trained embedding,
   * W_Embed: the identity for {@code one-hot}, N(0, 0.1^2) for {@code learned} (published at
   * once), nothing yet for {@code prototype} (published by {@link #prepare} or a restore).
   */
  @Override
  public void initialize(SplittableRandom rng) {
    head.initialize(rng);
    if (owner) {
      readout.initialize(new SplittableRandom(rng.nextLong()));
    }
    if (!trained || !owner) {
      return;
    }
    LabelEmbedding.Kind kind = config.embedding();
    if (kind == LabelEmbedding.Kind.PROTOTYPE) {
      return;
    }
    double[] w = new double[(int) (classes * dimension)];
    if (kind == LabelEmbedding.Kind.ONE_HOT) {
      for (int k = 0; k < classes; k++) {
        w[(int) (k * dimension + k)] = 1;
      }
    } else {
      SplittableRandom r = new SplittableRandom(rng.nextLong());
      for (int i = 0; i < w.length; i++) {
        w[i] = LEARNED_SCALE * gaussian(r);
      }
    }
    try (INDArray host = Nd4j.create(w, new long[] {classes, dimension}, 'c')) {
      embeddingMatrix.assign(host);
    }
    shared.publish(sharedParams);
  }

  /** The standard deviation of a learned embedding's initial entries (community code, unverified). */
  static final double LEARNED_SCALE = 0.1;

  /** A standard normal draw (Box-Muller). */
  private static double gaussian(SplittableRandom r) {
    double u1 = 1.0 - r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * r.nextDouble());
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
    if (trained) {
      // dL/dz_{t-1} and dL/dz_T for the embedding's gradient
      n += 2 * d;
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
    return denoise(block, x, classes, z, null);
  }

  /**
   * As {@link #denoise(Block, INDArray, int[], INDArray)}, and when {@code embeddingGrad} is not
   * null also adds the term's gradient with respect to W_Embed to it ({@code [C * d]}, row-major):
   * through the prediction and the target u_y, and through the noisy label itself, {@code z_{t-1}
   * = sqrt(abar_{t-1}) u_y + ...}, whose gradient the label path back-propagates.
   */
  double denoise(Block block, INDArray x, int[] classes, INDArray z, double[] embeddingGrad) {
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
        loss +=
            weight
                * emb.squaredError(row, classes[b], weight / batch, dOut, b * k, embeddingGrad);
      } else {
        // uhat = l: e = ||l - u_y||^2, de/dl = 2 (l - u_y), de/du_y = -2 (l - u_y)
        double[] u = emb.embedding(classes[b]);
        for (int j = 0; j < k; j++) {
          double e = row[j] - u[j];
          loss += weight * e * e;
          dOut[b * k + j] = 2 * weight * e / batch;
          if (embeddingGrad != null) {
            embeddingGrad[(int) (classes[b] * dimension) + j] -= dOut[b * k + j];
          }
        }
      }
    }
    INDArray g = Nd4j.create(dOut, new long[] {batch, k}, 'c').castTo(dataType);
    if (embeddingGrad == null) {
      head.backward(block, g);
    } else {
      INDArray dz = head.backward(block, g, true);
      addThroughDraw(dz, classes, schedule.alphaBar(t - 1), embeddingGrad);
    }
    return loss / batch;
  }

  /**
   * Adds the gradient that reaches W_Embed through a draw {@code z = sqrt(abar) u_y + sqrt(1 -
   * abar) eps}: row y_b gains {@code sqrt(abar) dL/dz_b}.
   */
  private void addThroughDraw(INDArray dz, int[] classes, double abar, double[] embeddingGrad) {
    double[] v = dz.dup('c').data().asDouble();
    double s = Math.sqrt(abar);
    int d = (int) dimension;
    for (int b = 0; b < classes.length; b++) {
      int row = classes[b] * d;
      for (int j = 0; j < d; j++) {
        embeddingGrad[row + j] += s * v[b * d + j];
      }
    }
  }

  /**
   * Returns the batch mean of the prior term KL(q(z_0 | y) || N(0, I)), constant for a fixed
   * embedding.
   */
  double priorKl(int[] classes) {
    return priorKl(classes, null);
  }

  /**
   * As {@link #priorKl(int[])}, and when {@code embeddingGrad} is not null also adds its gradient
   * {@code abar_0 u_y / batch} to row y of each example.
   */
  private double priorKl(int[] classes, double[] embeddingGrad) {
    LabelEmbedding e = embedding();
    double kl = 0;
    double a0 = schedule.alphaBar(0);
    int d = (int) dimension;
    for (int y : classes) {
      double[] u = e.embedding(y);
      kl += DtLoss.priorKl(schedule, u);
      if (embeddingGrad != null) {
        for (int j = 0; j < d; j++) {
          embeddingGrad[y * d + j] += a0 * u[j] / classes.length;
        }
      }
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
    return trainStep(block, x, labels, null);
  }

  /**
   * {@link #trainStep(Block, INDArray, Labels)}, also putting the loss's terms, each averaged
   * over the batch, into {@code terms} (when not null): {@value #DENOISING_TERM}, {@value
   * #KL_TERM}, and {@value #CLASSIFIER_TERM} on a block that trains the classifier.
   */
  double trainStep(Block block, INDArray x, Labels labels, Map<String, Double> terms) {
    if (trained) {
      return trainSharedStep(block, x, labels, terms);
    }
    INDArray u = clean(labels);
    INDArray z = draw(u, t - 1, block.rng());
    double denoising = denoise(block, x, labels.classes(), z);
    double kl = priorKl(labels.classes());
    double loss = denoising + kl;
    double[] ce = null;
    if (readout != null) {
      INDArray zT = draw(u, steps, block.rng());
      ce = new double[1];
      readout.headGradients(zT, labels.classes(), ce);
      loss += ce[0];
    }
    putTerms(terms, denoising, kl, ce);
    return loss;
  }

  private static void putTerms(Map<String, Double> terms, double denoising, double kl, double[] ce) {
    if (terms == null) {
      return;
    }
    terms.put(DENOISING_TERM, denoising);
    terms.put(KL_TERM, kl);
    if (ce != null) {
      terms.put(CLASSIFIER_TERM, ce[0]);
    }
  }

  /**
   * One training step of block t with a trained embedding: Algorithm 1's loss of block t, {@code
   * L_t = CE(f_out(z_T), y) + KL + denoising term}, on the shared values as last published. Writes
   * the gradients of the block's own parameters, and of f_out and W_Embed into the shared
   * gradient, which a block sends to the owner and the owner adds to what the others sent.
   *
   * @return the block's loss, averaged over the batch
   */
  private double trainSharedStep(
      Block block, INDArray x, Labels labels, Map<String, Double> terms) {
    refresh();
    int[] y = labels.classes();
    double[] dW = new double[(int) (classes * dimension)];
    INDArray u = clean(labels);
    INDArray z = draw(u, t - 1, block.rng());
    double denoising = denoise(block, x, y, z, dW);
    double kl = priorKl(y, dW);
    INDArray zT = draw(u, steps, block.rng());
    double[] ce = new double[1];
    INDArray dg = readout.headGradients(zT, y, ce);
    addThroughDraw(readout.inputGradient(dg), y, schedule.alphaBar(steps), dW);
    double loss = denoising + kl + ce[0];
    putTerms(terms, denoising, kl, ce);
    embeddingGrad.assign(Nd4j.create(dW, new long[] {classes, dimension}, 'c'));
    if (owner) {
      shared.drainInto(sharedGrads);
    } else {
      shared.contribute(sharedGrads);
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
    refresh(); // fails fast on prototypes that were never set
    INDArray hx = block.forward(x, false);
    Map<String, INDArray> scores = new LinkedHashMap<>();
    chains(block, hx, x.size(0), signals, null, scores);
    return scores;
  }

  /**
   * {@link #infer}, with block t's own class scores for {@code llt eval --per-block} (spec 2(g),
   * ablation (c)): its prediction on each chain's z_{t-1} ({@value #STOCHASTIC_CHAIN}, {@value
   * #DETERMINISTIC_CHAIN}) and on a draw of q(z_{t-1} | y) from the true class, the noise level it
   * trains at ({@value #OWN_NOISE}); then, on the last block, f_out's scores of z_T as {@link
   * #infer} gives them. A block's class scores are its logits, or under {@code prediction:
   * logits} {@code uhat . u_c - |u_c|^2 / 2}, which is {@code -|uhat - u_c|^2 / 2} up to a per-row
   * constant (the nearest class embedding wins). The draws come from the block's generator, as
   * inference's do, so the stochastic chain's figures are those of the probe's own draws.
   */
  Map<String, INDArray> probe(Block block, INDArray x, Labels labels, Signals signals) {
    refresh();
    INDArray hx = block.forward(x, false);
    Map<String, INDArray> scores = new LinkedHashMap<>();
    Map<String, INDArray> readouts = new LinkedHashMap<>();
    chains(block, hx, x.size(0), signals, scores, readouts);
    INDArray z = draw(clean(labels), t - 1, block.rng());
    scores.put(OWN_NOISE, classScores(head(hx, z, false, block.rng())));
    scores.putAll(readouts);
    return scores;
  }

  /**
   * Runs block t's reverse step on both chains and publishes each z_t; puts the block's own class
   * scores for each chain's z_{t-1} into {@code own} (when not null), and on the last block f_out's
   * scores of each z_t into {@code readouts}.
   */
  private void chains(
      Block block,
      INDArray hx,
      long rows,
      Signals signals,
      Map<String, INDArray> own,
      Map<String, INDArray> readouts) {
    for (String chain : CHAINS) {
      boolean stochastic = chain.equals(NoPropRule.STOCHASTIC);
      INDArray previous;
      if (t == 1) {
        previous = Nd4j.zeros(dataType, rows, dimension);
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
      INDArray out = head(hx, previous, false, block.rng());
      if (own != null) {
        own.put(chain + CHAIN_SUFFIX, classScores(out));
      }
      INDArray z = step(out, previous, stochastic, block.rng());
      signals.put(block.index(), chain, z);
      if (owner) {
        readouts.put(chain, readout.scores(z));
      }
    }
  }

  /** Block t's class scores from its head's output (see {@link #probe}). */
  private INDArray classScores(INDArray out) {
    if (config.prediction() == Prediction.SOFTMAX_EMBEDDING) {
      return out;
    }
    INDArray s = Nd4j.createUninitialized(dataType, new long[] {out.size(0), classes}, 'c');
    Nd4j.gemm(out, embeddingMatrix, s, false, true, 1.0, 0.0);
    INDArray half = embeddingMatrix.mul(embeddingMatrix).sum(1).muli(0.5);
    return s.subiRowVector(half);
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
    if (trained) {
      if (owner) {
        shared.close();
      } else {
        sharedParams.close();
        sharedGrads.close();
      }
    } else if (config.embedding() == LabelEmbedding.Kind.ONE_HOT) {
      embeddingMatrix.close();
    }
    head.close();
  }
}
