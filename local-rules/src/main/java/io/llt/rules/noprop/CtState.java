package io.llt.rules.noprop;

import io.llt.engine.graph.Block;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.Labels;
import io.llt.rules.common.SoftmaxHead;
import java.util.Arrays;
import java.util.LinkedHashMap;
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
 * The state of a NoProp-CT block: the head ({@link DenoiserHead}, with a time path), the raw
 * parameters of the learned schedule, and the classifier f_out, in that order after the image
 * path in the block's parameters. See {@link NoPropCtRule} for the equations.
 */
final class CtState implements TimeConditionedRule.State {
  private final NoPropCtRule.Config config;
  private final MonotoneSchedule schedule;
  private final int classes;
  private final DataType dataType;
  private final DenoiserHead head;
  private final LabelEmbedding embedding;
  private final SoftmaxHead readout;
  private INDArray scheduleParams;
  private INDArray scheduleGrads;

  CtState(NoPropCtRule.Config config, MonotoneSchedule schedule, BlockContext context) {
    this.config = config;
    this.schedule = schedule;
    this.classes = context.numClasses();
    this.dataType = context.dataType();
    this.head = NoPropCtRule.head(config, context.outputSize(), classes, dataType, true);
    this.embedding = LabelEmbedding.oneHot(classes);
    this.readout = new SoftmaxHead(classes, classes, true, SoftmaxHead.Init.UNIFORM_FAN_IN);
  }

  private static INDArray slice(INDArray flat, long off, long n) {
    return flat.get(NDArrayIndex.all(), NDArrayIndex.interval(off, off + n));
  }

  @Override
  public long numParams() {
    return head.numParams() + schedule.numParams() + readout.numParams();
  }

  @Override
  public void bind(INDArray params, INDArray grads) {
    long h = head.numParams();
    long s = schedule.numParams();
    head.bind(slice(params, 0, h), slice(grads, 0, h));
    scheduleParams = slice(params, h, s);
    scheduleGrads = slice(grads, h, s);
    readout.bind(slice(params, h + s, readout.numParams()), slice(grads, h + s, readout.numParams()));
  }

  @Override
  public void initialize(SplittableRandom rng) {
    head.initialize(rng);
    double[] p = new double[schedule.numParams()];
    schedule.initialize(p);
    INDArray host = Nd4j.create(p, new long[] {1, p.length}, 'c');
    INDArray cast = host.castTo(dataType);
    scheduleParams.assign(cast);
    if (cast != host) {
      cast.close();
    }
    host.close();
    readout.initialize(new SplittableRandom(rng.nextLong()));
  }

  @Override
  public INDArray buffers() {
    return head.buffers();
  }

  /**
   * Counts per example: t, its embedding (DOUBLE and cast), eps, the two column scalings and z_t,
   * the head's count plus the label input gradient, the logits' host copy and dl (DOUBLE and
   * cast), the draw of z_1 (eps, two scalings, the sum) and the classifier's count.
   */
  @Override
  public long workingValuesPerExample() {
    long w = dataType.width();
    long te = config.timeEmbedding();
    long d = classes;
    long n = 1 + te * 8 / w + (w == 8 ? 0 : te) + 4 * d + head.workingValuesPerExample() + d;
    n += d + d * 8 / w + (w == 8 ? 0 : d);
    return n + 4 * d + readout.workingValuesPerExample();
  }

  /** Returns the schedule's raw parameters, read from the block. */
  double[] scheduleParameters() {
    return scheduleParams.toDoubleVector();
  }

  private INDArray embed(double[] t) {
    return TimeConditionedRule.embedTimes(t, config.timeEmbedding(), dataType);
  }

  private INDArray column(double[] v) {
    return Nd4j.create(v, new long[] {v.length, 1}, 'c').castTo(dataType);
  }

  /**
   * The denoising term {@code mean_b (eta/2) SNR'(t_b) ||uhat - u||^2} and its gradients for given
   * times and noise: the head's and the image path's (through the block), and the schedule's
   * (through SNR' and through z_t).
   *
   * @param block the block
   * @param x the images
   * @param classes the class of each row
   * @param t the time of each row, in [0, 1)
   * @param eps the noise of each row's z_t {@code [batch, d]}
   * @return the batch mean of the term
   */
  double denoise(Block block, INDArray x, int[] classes, double[] t, INDArray eps) {
    int batch = classes.length;
    double[] p = scheduleParameters();
    MonotoneSchedule.Point[] pts = new MonotoneSchedule.Point[batch];
    double[] sa = new double[batch];
    double[] sn = new double[batch];
    for (int b = 0; b < batch; b++) {
      pts[b] = schedule.at(p, t[b]);
      double ab = schedule.alphaBar(pts[b].gt());
      sa[b] = Math.sqrt(ab);
      sn[b] = Math.sqrt(1 - ab);
    }
    INDArray u = Nd4j.zeros(dataType, batch, this.classes);
    for (int b = 0; b < batch; b++) {
      u.putScalar(b, classes[b], 1.0);
    }
    INDArray z = u.mulColumnVector(column(sa)).addi(eps.mulColumnVector(column(sn)));
    INDArray hx = block.forward(x, true);
    INDArray out = head.forward(hx, z, embed(t), true, block.rng());
    double[] o = out.dup('c').data().asDouble();
    int k = this.classes;
    double loss = 0;
    double[] e = new double[batch];
    double[] dOut = new double[batch * k];
    for (int b = 0; b < batch; b++) {
      double[] row = Arrays.copyOfRange(o, b * k, (b + 1) * k);
      double w = config.eta() / 2 * schedule.snrPrime(pts[b]);
      e[b] = embedding.squaredError(row, classes[b], w / batch, dOut, b * k);
      loss += w * e[b];
    }
    INDArray g = Nd4j.create(dOut, new long[] {batch, k}, 'c').castTo(dataType);
    double[] dz = head.backward(block, g, true).dup('c').data().asDouble();
    double[] ev = eps.dup('c').data().asDouble();
    double[] grad = new double[p.length];
    double range = schedule.gamma1() - schedule.gamma0();
    for (int b = 0; b < batch; b++) {
      MonotoneSchedule.Point pt = pts[b];
      double snr = Math.exp(-schedule.gamma(pt.gt()));
      double ab = sa[b] * sa[b];
      // d(eta/2 SNR' e)/dparams through SNR' = range gt' exp(-gamma)
      double c1 = config.eta() / 2 * e[b] / batch * range * snr;
      // through z_t: sum_j dL/dz_j dz_j/dabar, and dabar/dparams = abar (1 - abar) range dgt
      double dzda = 0;
      for (int j = 0; j < k; j++) {
        double uj = j == classes[b] ? 1 : 0;
        dzda += dz[b * k + j] * (uj / (2 * sa[b]) - ev[b * k + j] / (2 * sn[b]));
      }
      double c2 = dzda * ab * (1 - ab) * range;
      for (int i = 0; i < p.length; i++) {
        grad[i] += c1 * (pt.dGtPrime()[i] + pt.gtPrime() * range * pt.dGt()[i]) + c2 * pt.dGt()[i];
      }
    }
    INDArray gh = Nd4j.create(grad, new long[] {1, grad.length}, 'c').castTo(dataType);
    scheduleGrads.assign(gh);
    return loss / batch;
  }

  /**
   * Returns KL(q(z_0 | y) || N(0, I)) with abar(0) = sigmoid(-gamma1): the same for every class of
   * the one-hot embedding, so the batch mean is class 0's.
   */
  double priorKl() {
    return DtLoss.priorKl(schedule.alphaBar(0.0), embedding.embedding(0));
  }

  /**
   * One training step: t ~ U[0, 1) and eps ~ N(0, I) per example, the denoising term with its
   * gradients, the constant KL, and the classifier term on a draw of z_1 with its gradients.
   */
  @Override
  public double trainStep(Block block, INDArray x, Labels labels) {
    int batch = (int) x.size(0);
    double[] t = TimeConditionedRule.drawTimes(batch, block.rng());
    INDArray eps = Nd4j.createUninitialized(dataType, new long[] {batch, classes}, 'c');
    Nd4j.getExecutioner().exec(new GaussianDistribution(eps, 0.0, 1.0), block.rng());
    double loss = denoise(block, x, labels.classes(), t, eps) + priorKl();
    double a1 = schedule.alphaBar(1.0);
    INDArray e1 = Nd4j.createUninitialized(dataType, new long[] {batch, classes}, 'c');
    Nd4j.getExecutioner().exec(new GaussianDistribution(e1, 0.0, 1.0), block.rng());
    INDArray z1 = e1.muli(Math.sqrt(1 - a1)).addi(labels.oneHot().mul(Math.sqrt(a1)));
    double[] ce = new double[1];
    readout.headGradients(z1, labels.classes(), ce);
    return loss + ce[0];
  }

  /**
   * Returns the reverse-step coefficients from grid time {@code t0} to {@code t1} with abar read
   * from the learned schedule (DT's a, b, c with alpha = abar(t0) / abar(t1)).
   */
  DtSampler.Coefficients step(double[] params, double t0, double t1) {
    return DtSampler.coefficients(schedule.alphaBar(params, t0), schedule.alphaBar(params, t1));
  }

  /**
   * Inference: the image path once, then for each chain {@code inferenceSteps} reverse steps on
   * the grid t_k = k/N, each in its own nested workspace; f_out's scores of each chain's z_1.
   */
  @Override
  public Map<String, INDArray> infer(Block block, INDArray x) {
    INDArray hx = block.forward(x, false);
    double[] params = scheduleParameters();
    int n = config.inferenceSteps();
    Map<String, INDArray> scores = new LinkedHashMap<>();
    for (String chain : new String[] {NoPropRule.STOCHASTIC, NoPropRule.DETERMINISTIC}) {
      boolean stochastic = chain.equals(NoPropRule.STOCHASTIC);
      Random rng = block.rng();
      INDArray z = Nd4j.zeros(dataType, x.size(0), classes);
      if (stochastic) {
        Nd4j.getExecutioner().exec(new GaussianDistribution(z, 0.0, 1.0), rng);
      }
      double[] t = new double[(int) x.size(0)];
      for (int k = 1; k <= n; k++) {
        double t0 = (double) (k - 1) / n;
        DtSampler.Coefficients c = step(params, t0, (double) k / n);
        Arrays.fill(t, t0);
        try (MemoryWorkspace ws =
            Nd4j.getWorkspaceManager().getAndActivateWorkspace(FlowState.EULER, FlowState.EULER_WORKSPACE)) {
          INDArray uhat = Transforms.softmax(head.forward(hx, z, embed(t), false, rng), true);
          INDArray next = uhat.muli(c.a()).addi(z.mul(c.b()));
          if (stochastic) {
            INDArray eps = Nd4j.createUninitialized(dataType, z.shape(), 'c');
            Nd4j.getExecutioner().exec(new GaussianDistribution(eps, 0.0, 1.0), rng);
            next.addi(eps.muli(Math.sqrt(c.c())));
          }
          z.assign(next);
        }
      }
      scores.put(chain, readout.scores(z));
    }
    return scores;
  }

  @Override
  public void close() {
    head.close();
    FlowState.releaseEulerWorkspace();
  }
}
