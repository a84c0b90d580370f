package io.llt.engine.train;

import io.llt.engine.BadInputException;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TrainerConfig;
import io.llt.engine.data.Batch;
import io.llt.engine.data.Batches;
import io.llt.engine.data.DataSplits;
import io.llt.engine.data.Dataset;
import io.llt.engine.data.PixelMap;
import io.llt.engine.graph.Block;
import io.llt.engine.graph.BlockGraph;
import io.llt.engine.memory.MemoryPhase;
import io.llt.engine.memory.MemoryProbe;
import io.llt.engine.memory.MemoryTracker;
import io.llt.engine.spi.Labels;
import io.llt.engine.spi.Signals;
import io.llt.engine.spi.StepResult;
import io.llt.engine.util.Seeds;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.UnaryOperator;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Trains a block chain with one of the schedules.
 *
 * <p>A trainer epoch is one pass over the training data. For {@code simultaneous} and {@code
 * backprop} there are {@code trainer.epochs} of them, each updating every block on every batch.
 * {@code greedy} trains in phases ({@code trainer.phases}; by default one per block with {@code
 * trainer.epochs} epochs): the blocks of a phase train together on the outputs of the frozen blocks
 * before them, and the blocks after them wait. When the frozen blocks allow it ({@code
 * trainer.cacheFrozenFeatures}), their outputs are computed once per phase for every split and the
 * phase trains and evaluates from them. After each trainer epoch the chain is
 * evaluated (validation and test), a checkpoint is written, and the listener is told.
 *
 * <p>Every random stream is derived from the run seed and the trainer epoch (shuffling) or block
 * and epoch (dropout), so a run resumed from a checkpoint continues bit-identically. Not
 * thread-safe; the pipelined schedule plugs in as another implementation of the per-batch sweep
 * ({@link #trainEpoch}).
 */
public final class Trainer {
  private final ExperimentConfig config;
  private final BlockGraph graph;
  private final DataSplits data;
  private final RunDirectory runDir;
  private final TrainingListener listener;
  private final MemoryProbe probe;
  private final MemoryTracker tracker;
  private final List<Phase> phases;
  /** How to de-normalise batches onto the signals board, or null when no rule reads the image. */
  private final PixelMap imagePixels;
  private PipelineStats lastPipelineStats;
  // per-block step seconds of the last pipelined epoch: trainer.placement auto balances from them
  private double[] lastBlockSeconds;
  private FrozenFeatures frozen;
  /** Per block, the nanoseconds of its training steps in the current epoch (stage threads add too). */
  private volatile AtomicLongArray stepNanos;

  /**
   * A run of consecutive blocks that train together for some trainer epochs.
   *
   * @param first the index of the phase's first block
   * @param last the index of its last block
   * @param epochs its number of trainer epochs
   * @param start the trainer epoch it starts at
   * @param batchSize its training batch size
   */
  public record Phase(int first, int last, int epochs, int start, int batchSize) {}

  /** The outputs of the frozen blocks before a phase, on every split. */
  private record FrozenFeatures(int phaseStart, DataSplits splits) implements AutoCloseable {
    @Override
    public void close() {
      splits.train().features().close();
      if (splits.validation() != null) {
        splits.validation().features().close();
      }
      splits.test().features().close();
    }
  }

  /**
   * Creates a trainer.
   *
   * @param config the resolved experiment config
   * @param graph the chain built for {@code config.trainer().schedule()}
   * @param data the loaded splits
   * @param runDir where checkpoints and metrics go, or null for none (tests, benchmarks)
   * @param listener progress hooks
   * @param probe the native memory probe, or null
   */
  public Trainer(
      ExperimentConfig config,
      BlockGraph graph,
      DataSplits data,
      RunDirectory runDir,
      TrainingListener listener,
      MemoryProbe probe) {
    this.config = config;
    this.graph = graph;
    this.data = data;
    this.runDir = runDir;
    this.listener = listener == null ? new TrainingListener() {} : listener;
    this.probe = probe;
    this.tracker =
        config.memory().track()
            ? new MemoryTracker(
                graph.blocks().stream().map(Block::id).toList(),
                config.memory().budgetBytes() == null ? 0 : config.memory().budgetBytes())
            : null;
    this.phases = phases(config, graph);
    this.imagePixels = imagePixels(graph, data);
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      for (Block b : graph.blocks()) {
        b.state().prepare(data.train());
      }
    }
  }

  /**
   * Returns the training data's pixel map when a block's rule reads the input image, else null.
   *
   * @throws BadInputException when a rule reads the image and the data are not images
   */
  private static PixelMap imagePixels(BlockGraph graph, DataSplits data) {
    for (Block b : graph.blocks()) {
      if (b.rule().readsInputImage()) {
        if (data.train().pixels() == null) {
          throw new BadInputException(
              "block " + b.id() + ": its rule reconstructs the input image, but data "
                  + data.name() + " are not images; use an image source (fashion-mnist, cifar10)"
                  + " or turn the reconstruction off");
        }
        return data.train().pixels();
      }
    }
    return null;
  }

  /**
   * Returns a fresh signals board for a training batch: with the batch's images in [0, 1] when a
   * rule reads them (such runs never cache frozen outputs, so the features are the data's).
   */
  Signals trainingSignals(Batch batch) {
    Signals s = new Signals();
    if (imagePixels != null) {
      s.putImage(imagePixels.toUnit(batch.features()));
    }
    return s;
  }

  /** Returns the phases of the config's schedule (one phase of every block unless greedy). */
  static List<Phase> phases(ExperimentConfig config, BlockGraph graph) {
    TrainerConfig t = config.trainer();
    int n = graph.blocks().size();
    List<Phase> out = new ArrayList<>();
    if (t.schedule() != Schedule.GREEDY) {
      out.add(new Phase(0, n - 1, t.epochs(), 0, t.batchSize()));
    } else if (t.phases() == null) {
      for (int i = 0; i < n; i++) {
        out.add(new Phase(i, i, t.epochs(), i * t.epochs(), t.batchSize()));
      }
    } else {
      int first = 0;
      int start = 0;
      for (var p : t.phases()) {
        int last = first + p.blocks().size() - 1;
        out.add(new Phase(first, last, p.epochs(), start, p.batchSize()));
        start += p.epochs();
        first = last + 1;
      }
      if (first != n) {
        throw new IllegalStateException("trainer.phases cover " + first + " of " + n + " blocks");
      }
    }
    return List.copyOf(out);
  }

  /**
   * Returns the phase that trainer epoch {@code t} belongs to; epochs past the run's end (the
   * benchmarks time extra sweeps) belong to the last phase.
   */
  public Phase phase(int t) {
    for (Phase p : phases) {
      if (t < p.start() + p.epochs()) {
        return p;
      }
    }
    return phases.get(phases.size() - 1);
  }

  /** Returns the phases, in order. */
  public List<Phase> phases() {
    return phases;
  }

  /** Returns the memory tracker, or null when {@code memory.track} is off. */
  public MemoryTracker tracker() {
    return tracker;
  }

  /** Returns the number of trainer epochs of the whole run. */
  public int totalEpochs() {
    Phase last = phases.get(phases.size() - 1);
    return last.start() + last.epochs();
  }

  /**
   * Trains from trainer epoch {@code startEpoch} (0 for a new run, the checkpoint's epoch count
   * for a resumed one) to the end.
   */
  public TrainingResult fit(int startEpoch) {
    try {
      return fitEpochs(startEpoch);
    } finally {
      dropFrozenFeatures();
    }
  }

  private TrainingResult fitEpochs(int startEpoch) {
    long t0 = System.nanoTime();
    int total = totalEpochs();
    List<EpochMetrics> all = new ArrayList<>();
    long samples = 0;
    double trainSeconds = 0;
    Evaluator.Accuracy test = null;
    for (int t = startEpoch; t < total; t++) {
      EpochRun run = trainEpoch(t, Integer.MAX_VALUE);
      samples += run.samples();
      trainSeconds += run.seconds();
      Phase phase = phase(t);
      int evalBlocks = phase.last() + 1;
      int evalBatch = config.trainer().evalBatchSize();
      Double val = null;
      Evaluator.Accuracy acc = null;
      if (hasScores(evalBlocks)) {
        int from = frozen != null ? phase.first() : 0;
        DataSplits splits = frozen != null ? frozen.splits() : data;
        if (splits.validation() != null) {
          val =
              Evaluator.evaluate(graph, from, evalBlocks, splits.validation(), evalBatch, tracker)
                  .headline();
        }
        acc = Evaluator.evaluate(graph, from, evalBlocks, splits.test(), evalBatch, tracker);
        test = acc;
      }
      List<BlockMetrics> bm = new ArrayList<>();
      for (int i = 0; i < graph.blocks().size(); i++) {
        bm.add(
            new BlockMetrics(
                graph.blocks().get(i).id(), run.losses()[i], run.rates()[i],
                run.blockSeconds()[i], paramLag(graph.blocks().get(i)), run.terms().get(i)));
      }
      long peak = probe == null ? -1 : probe.peakNativeBytes();
      EpochMetrics m =
          new EpochMetrics(
              t + 1,
              total,
              phaseName(phase),
              bm,
              val,
              acc == null ? Double.NaN : acc.headline(),
              acc == null ? Map.of() : acc.readouts(),
              run.samples() / run.seconds(),
              run.seconds(),
              peak,
              run.frozenFeatureSeconds());
      all.add(m);
      if (runDir != null) {
        try {
          runDir.appendMetrics(m);
          runDir.writeCheckpoint(graph, t + 1, config.trainer().keepCheckpoints());
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      listener.onEpochEnd(m);
    }
    if (test == null) {
      test = Evaluator.evaluate(
              graph, graph.blocks().size(), data.test(), config.trainer().evalBatchSize(), tracker);
    }
    double wall = (System.nanoTime() - t0) / 1e9;
    return new TrainingResult(
        all,
        test.headline(),
        test.readouts(),
        trainSeconds > 0 ? samples / trainSeconds : 0,
        probe == null ? -1 : probe.peakNativeBytes(),
        wall);
  }

  /**
   * The outcome of one epoch's training sweep.
   *
   * @param losses mean loss per block (NaN for blocks that did not train)
   * @param terms per block, the mean of each named term of its loss (empty for most rules)
   * @param rates learning rate per block (NaN for blocks that did not train)
   * @param samples examples processed
   * @param seconds wall time of the sweep
   * @param frozenFeatureSeconds wall time spent computing cached frozen outputs before the sweep
   * @param blockSeconds per block, the wall time of its training steps
   */
  public record EpochRun(
      double[] losses,
      List<Map<String, Double>> terms,
      double[] rates,
      long samples,
      double seconds,
      double frozenFeatureSeconds,
      double[] blockSeconds) {}

  /** Returns true when any of the first {@code blocks} blocks contributes class scores. */
  /** Returns the largest version lag of the block's reads of the next block this epoch, or null. */
  private static Long paramLag(Block b) {
    if (!b.readsSuccessor()) {
      return null;
    }
    long lag = b.successorParams().takeMaxLag();
    return lag < 0 ? null : lag;
  }

  private boolean hasScores(int blocks) {
    for (int i = 0; i < blocks; i++) {
      if (graph.blocks().get(i).rule().hasScores()) {
        return true;
      }
    }
    return false;
  }

  /** Returns the ids of a greedy phase's blocks joined by '+', or null for the other schedules. */
  private String phaseName(Phase p) {
    if (config.trainer().schedule() != Schedule.GREEDY) {
      return null;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = p.first(); i <= p.last(); i++) {
      sb.append(i > p.first() ? "+" : "").append(graph.blocks().get(i).id());
    }
    return sb.toString();
  }

  /**
   * Makes sure the frozen blocks' outputs for phase {@code p} are cached when the config allows it
   * and every frozen block's rule does ({@link io.llt.engine.spi.LocalRule#cacheableWhenFrozen()}).
   *
   * @return true when they were computed now
   */
  private boolean prepareFrozenFeatures(Phase p) {
    if (frozen != null && frozen.phaseStart() == p.start()) {
      return false;
    }
    dropFrozenFeatures();
    Boolean cache = config.trainer().cacheFrozenFeatures();
    // a rule that reconstructs the input image needs the images of every batch, which cached
    // block outputs replace: such runs pass through the frozen blocks instead
    if (p.first() == 0 || cache == null || !cache || imagePixels != null) {
      return false;
    }
    for (int i = 0; i < p.first(); i++) {
      if (!graph.blocks().get(i).rule().cacheableWhenFrozen()) {
        return false;
      }
    }
    int batch = config.trainer().evalBatchSize();
    listener.onCachingFeatures(graph.blocks().get(p.first() - 1).id());
    long valSize = data.validation() == null ? 0 : data.validation().size();
    long total = data.train().size() + valSize + data.test().size();
    Dataset train = frozenOutputs(data.train(), p.first(), batch, 0, total);
    Dataset val =
        data.validation() == null
            ? null
            : frozenOutputs(data.validation(), p.first(), batch, data.train().size(), total);
    Dataset test = frozenOutputs(data.test(), p.first(), batch, total - data.test().size(), total);
    frozen = new FrozenFeatures(p.start(), new DataSplits(data.name(), train, val, test, data.files()));
    return true;
  }

  private void dropFrozenFeatures() {
    if (frozen != null) {
      frozen.close();
      frozen = null;
    }
  }

  /**
   * Runs the first {@code blocks} blocks (inference passes) over a whole split, telling the listener
   * after each batch how many of the {@code total} examples are done ({@code before} of them came
   * from the splits computed earlier).
   */
  private Dataset frozenOutputs(Dataset split, int blocks, int batchSize, long before, long total) {
    long[] shape = graph.blocks().get(blocks - 1).outputShape();
    long width = 1;
    for (long d : shape) {
      width *= d;
    }
    INDArray out;
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      out = Nd4j.createUninitialized(split.features().dataType(), new long[] {split.size(), width}, 'c');
    }
    Iterator<Batch> it = Batches.sequential(split, batchSize);
    long row = 0;
    while (it.hasNext()) {
      try (Batch batch = it.next();
          Signals signals = new Signals()) {
        Labels labels = new Labels(batch.labels(), batch.classes());
        INDArray x = batch.features();
        for (int i = 0; i < blocks; i++) {
          x = passStep(graph.blocks().get(i), x, labels, signals);
        }
        long rows = x.size(0);
        out.get(NDArrayIndex.interval(row, row + rows), NDArrayIndex.all()).assign(x);
        row += rows;
        listener.onCachingProgress(before + row, total);
      }
    }
    return new Dataset(out, split.labels(), split.numClasses(), shape);
  }

  /**
   * Runs the training sweep of trainer epoch {@code t} over at most {@code batchLimit} batches
   * (benchmarks use a limit; training uses all batches).
   */
  public EpochRun trainEpoch(int t, int batchLimit) {
    List<Block> blocks = graph.blocks();
    int n = blocks.size();
    long seed = config.seed();
    Phase phase = phase(t);
    int epochInPhase = t - phase.start();
    long cacheStart = System.nanoTime();
    boolean computed = prepareFrozenFeatures(phase);
    double cacheSeconds = computed ? (System.nanoTime() - cacheStart) / 1e9 : 0;
    Dataset trainSplit = frozen != null ? frozen.splits().train() : data.train();
    double[] rates = new double[n];
    java.util.Arrays.fill(rates, Double.NaN);
    for (int i = 0; i < n; i++) {
      Block b = blocks.get(i);
      b.rng().setSeed(Seeds.derive(seed, "dropout", i, t));
      if (i >= phase.first() && i <= phase.last()) {
        var opt = b.optimizerConfig();
        rates[i] = opt.schedule().learningRate(opt.learningRate(), epochInPhase, phase.epochs());
      }
    }
    int batchSize = phase.batchSize();
    int batches = Math.min(batchLimit, Batches.numBatches(trainSplit.size(), batchSize));
    listener.onEpochStart(t + 1, totalEpochs(), batches, phaseName(phase));
    Iterator<Batch> it = Batches.shuffled(trainSplit, batchSize, Seeds.derive(seed, "shuffle", t));
    LossSums sums = new LossSums(n);
    stepNanos = new AtomicLongArray(n);
    long start = System.nanoTime();
    long samples;
    if (config.trainer().schedule() == Schedule.PIPELINED) {
      int stages = config.trainer().stages() == null ? n : config.trainer().stages();
      int[][] split =
          "auto".equals(config.trainer().placement()) && lastBlockSeconds != null
              ? Pipeline.balance(lastBlockSeconds, stages)
              : Pipeline.partition(n, stages);
      Pipeline p =
          new Pipeline(
              this, blocks, split, config.trainer().queueCapacity(), it, batches, rates, sums, t,
              start);
      samples = p.run();
      lastPipelineStats = p.stats();
    } else {
      samples = sequentialSweep(it, batches, rates, sums, phase, t, start);
    }
    if (probe != null) {
      probe.sample();
    }
    List<Map<String, Double>> terms = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      terms.add(sums.termMeans(i));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    double[] blockSeconds = new double[n];
    for (int i = 0; i < n; i++) {
      blockSeconds[i] = stepNanos.get(i) / 1e9;
    }
    if (config.trainer().schedule() == Schedule.PIPELINED) {
      lastBlockSeconds = blockSeconds.clone();
    }
    return new EpochRun(sums.means(), terms, rates, samples, seconds, cacheSeconds, blockSeconds);
  }

  /** The simultaneous and greedy sweep: every batch through the blocks in order, on this thread. */
  private long sequentialSweep(
      Iterator<Batch> it,
      int batches,
      double[] rates,
      LossSums sums,
      Phase phase,
      int t,
      long start) {
    List<Block> blocks = graph.blocks();
    int n = blocks.size();
    long samples = 0;
    boolean lookahead = blocks.stream().anyMatch(b -> b.rule().lookahead());
    // with cached frozen outputs, batches already are the first training block's input
    int from = frozen != null ? phase.first() : 0;
    for (int k = 0; k < batches && it.hasNext(); k++) {
      try (Batch batch = it.next();
          Signals signals = trainingSignals(batch)) {
        Labels labels = new Labels(batch.labels(), batch.classes());
        int last = phase.last();
        boolean greedy = config.trainer().schedule() == Schedule.GREEDY;
        INDArray encoded =
            from > 0 ? batch.features() : encodeTraining(batch, labels, t, k, greedy ? phase.first() : n);
        try {
          if (lookahead) {
            INDArray y = encoded;
            for (int i = from; i < n; i++) {
              y = passStep(blocks.get(i), y, labels, signals);
            }
          }
          INDArray x = encoded;
          for (int i = from; i <= last; i++) {
            Block b = blocks.get(i);
            if (i >= phase.first()) {
              StepResult r =
                  trainStep(b, x, labels, signals, rates[i], i < last ? b::handOff : null, t, k);
              sums.add(i, r);
              x = r.output();
            } else {
              x = passStep(b, x, labels, signals);
            }
          }
        } finally {
          if (encoded != batch.features()) {
            encoded.close();
          }
        }
        samples += batch.classes().length;
        reportBatch(k + 1, batches, sums, samples, start);
      }
    }
    return samples;
  }

  /**
   * The rows the chain trains on for one batch: the first block's rule encodes the features
   * (outside workspaces); the caller closes the result unless it is the features themselves.
   *
   * @param scoreBlocks how many blocks the network scores offered to the rule may use (all but
   *     the block greedy is training, which is still being trained)
   */
  INDArray encodeTraining(Batch batch, Labels labels, int t, int k, int scoreBlocks) {
    Block first = graph.blocks().get(0);
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return first
          .rule()
          .encodeTraining(
              first,
              first.state(),
              batch.features(),
              labels,
              Seeds.derive(config.seed(), "negatives", t, k),
              () ->
                  scoreBlocks == 0
                      ? null
                      : Evaluator.headlineScores(graph, scoreBlocks, batch.features()));
    }
  }

  /** Tells the listener about a finished batch (called by the thread that finished it). */
  void reportBatch(int batch, int batches, LossSums sums, long samples, long start) {
    listener.onBatch(batch, batches, sums.means(), samples / ((System.nanoTime() - start) / 1e9));
  }

  /** Returns what the last pipelined epoch observed, or null when no epoch was pipelined. */
  public PipelineStats lastPipelineStats() {
    return lastPipelineStats;
  }

  /**
   * One local step of block {@code b}: the rule's forward, objective and gradients, then the
   * block's optimizer, all inside the block's workspace (opened on the calling thread). The block's
   * pre-update output is copied out of the workspace by {@code sink} (the block's hand-off buffer,
   * or a pipeline buffer) before the update, or dropped when {@code sink} is null. Nothing else is
   * allocated outside the workspace.
   *
   * @param epoch the trainer epoch, for the divergence message
   * @param batch the batch index within the epoch, for the divergence message
   */
  StepResult trainStep(
      Block b,
      INDArray x,
      Labels labels,
      Signals signals,
      double lr,
      UnaryOperator<INDArray> sink,
      int epoch,
      int batch) {
    long t0 = System.nanoTime();
    try (MemoryWorkspace ws = b.openWorkspace()) {
      StepResult r = b.rule().step(b, b.state(), x, labels, signals);
      if (!Double.isFinite(r.loss())) {
        throw new TrainingDivergedException(b.id(), epoch, batch + 1, r.loss());
      }
      INDArray out = sink == null ? null : sink.apply(r.output());
      if (tracker != null) {
        tracker.record(b.index(), MemoryPhase.FORWARD, b.fixedBytes(), ws.getPrimaryOffset());
      }
      if (!b.rule().selfUpdating()) {
        b.optimizer().step(b.params(), b.grads(), lr);
      }
      b.rule().afterUpdate(b, b.state());
      b.afterUpdate();
      if (tracker != null) {
        tracker.record(b.index(), MemoryPhase.UPDATE, b.fixedBytes(), ws.getPrimaryOffset());
      }
      if (stepNanos != null) {
        stepNanos.addAndGet(b.index(), System.nanoTime() - t0);
      }
      return new StepResult(out, r.loss(), r.terms());
    }
  }

  /**
   * Forward through a block that does not update (frozen, or the lookahead pass); the output
   * lands in the block's hand-off buffer.
   */
  private INDArray passStep(Block b, INDArray x, Labels labels, Signals signals) {
    try (MemoryWorkspace ws = b.openWorkspace()) {
      INDArray out = b.handOff(b.rule().pass(b, b.state(), x, labels, signals));
      if (tracker != null) {
        tracker.record(b.index(), MemoryPhase.FORWARD, b.fixedBytes(), ws.getPrimaryOffset());
      }
      return out;
    }
  }
}
