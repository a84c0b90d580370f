package io.llt.rules.noprop;

/**
 * The learned noise schedule of NoProp-CT (spec 2(b), "CT/FM: learned monotone schedule in the VDM
 * style"), on t in [0, 1]:
 *
 * <pre>
 *   g(t)      = A t + sum_k W_k sigmoid(S_k (t - c_k)),   A = softplus(a), W_k = softplus(w_k),
 *                                                         S_k = softplus(s_k), c_k = (k + 1/2)/K
 *   gt(t)     = (g(t) - g(0)) / (g(1) - g(0))            in [0, 1], increasing: the normalised net
 *   gamma(t)  = gamma0 + (gamma1 - gamma0) (1 - gt(t))
 *   abar(t)   = sigmoid(-gamma(t)),   SNR(t) = exp(-gamma(t)),
 *   SNR'(t)   = (gamma1 - gamma0) gt'(t) SNR(t) > 0
 * </pre>
 *
 * <p>Monotonicity comes from positive weights (softplus of the raw parameters), as the spec asks
 * of a faithful port; the Halachev code's unconstrained MLP with clamping is not followed. This
 * one-hidden-layer form (a linear term plus K sigmoid steps at fixed centres) is our choice: the
 * spec does not give the net's shape. With gamma0 = -7 and gamma1 = 7, abar(0) = sigmoid(-7)
 * (noise) and abar(1) = sigmoid(7) (clean) whatever the parameters, since gt(0) = 0 and gt(1) = 1.
 *
 * <p>The 2K + 1 raw parameters are ordered {@code [a, w_0..w_{K-1}, s_0..s_{K-1}]}. {@link #at}
 * returns gt, gt' and their exact gradients with respect to them. Stateless.
 *
 * @param units K, the number of sigmoid steps; >= 1
 * @param gamma0 gamma at t = 1 (clean end); the spec's -7
 * @param gamma1 gamma at t = 0 (noise end); the spec's 7; > gamma0
 */
public record MonotoneSchedule(int units, double gamma0, double gamma1) {
  /** Validates. */
  public MonotoneSchedule {
    if (units < 1) {
      throw new IllegalArgumentException("units must be >= 1, found " + units);
    }
    if (!(gamma1 > gamma0)) {
      throw new IllegalArgumentException(
          "gamma1 (" + gamma1 + ") must exceed gamma0 (" + gamma0 + ") so that abar rises with t");
    }
  }

  /** Returns the number of raw parameters, 2K + 1. */
  public int numParams() {
    return 2 * units + 1;
  }

  /**
   * The schedule at one time, with gradients.
   *
   * @param gt the normalised net gt(t) in [0, 1]
   * @param gtPrime its derivative in t, > 0
   * @param dGt d gt / d(raw parameters)
   * @param dGtPrime d gt' / d(raw parameters)
   */
  public record Point(double gt, double gtPrime, double[] dGt, double[] dGtPrime) {}

  /** Returns gamma(t) for a value gt(t) of the normalised net. */
  public double gamma(double gt) {
    return gamma0 + (gamma1 - gamma0) * (1 - gt);
  }

  /** Returns abar = sigmoid(-gamma) for a value gt(t). */
  public double alphaBar(double gt) {
    return sigmoid(-gamma(gt));
  }

  /** Returns SNR'(t) = (gamma1 - gamma0) gt'(t) exp(-gamma(t)). */
  public double snrPrime(Point p) {
    return (gamma1 - gamma0) * p.gtPrime() * Math.exp(-gamma(p.gt()));
  }

  /** Returns abar(t) for the raw parameters (values only, no gradients: the inference grid). */
  public double alphaBar(double[] params, double t) {
    double g0 = value(params, 0, null);
    return alphaBar((value(params, t, null) - g0) / (value(params, 1, null) - g0));
  }

  /**
   * Evaluates gt, gt' and their gradients at t.
   *
   * @param params the raw parameters {@code [a, w_0.., s_0..]}
   * @param t the time, in [0, 1]
   */
  public Point at(double[] params, double t) {
    int n = numParams();
    double[] g = new double[3];
    double[] dg0 = new double[n];
    double[] dg1 = new double[n];
    double[] dgt = new double[n];
    double[] dgp = new double[n];
    double gp = accumulate(params, t, dgt, dgp);
    g[1] = value(params, 0, dg0);
    g[2] = value(params, 1, dg1);
    g[0] = value(params, t, null);
    double span = g[2] - g[1];
    double gt = (g[0] - g[1]) / span;
    double gtp = gp / span;
    double[] dGt = new double[n];
    double[] dGtp = new double[n];
    for (int i = 0; i < n; i++) {
      double dspan = dg1[i] - dg0[i];
      dGt[i] = ((dgt[i] - dg0[i]) - gt * dspan) / span;
      dGtp[i] = (dgp[i] - gtp * dspan) / span;
    }
    return new Point(gt, gtp, dGt, dGtp);
  }

  /** g(t); writes dg/d(params) into {@code grad} when not null. */
  private double value(double[] p, double t, double[] grad) {
    double a = softplus(p[0]);
    double g = a * t;
    if (grad != null) {
      grad[0] = sigmoid(p[0]) * t;
    }
    for (int k = 0; k < units; k++) {
      double w = softplus(p[1 + k]);
      double s = softplus(p[1 + units + k]);
      double c = (k + 0.5) / units;
      double sg = sigmoid(s * (t - c));
      g += w * sg;
      if (grad != null) {
        grad[1 + k] = sigmoid(p[1 + k]) * sg;
        grad[1 + units + k] = sigmoid(p[1 + units + k]) * w * sg * (1 - sg) * (t - c);
      }
    }
    return g;
  }

  /** Writes dg(t)/dparams into {@code dg} and dg'(t)/dparams into {@code dgp}; returns g'(t). */
  private double accumulate(double[] p, double t, double[] dg, double[] dgp) {
    value(p, t, dg);
    double gp = softplus(p[0]);
    dgp[0] = sigmoid(p[0]);
    for (int k = 0; k < units; k++) {
      double w = softplus(p[1 + k]);
      double s = softplus(p[1 + units + k]);
      double c = (k + 0.5) / units;
      double sg = sigmoid(s * (t - c));
      double d = sg * (1 - sg);
      gp += w * s * d;
      dgp[1 + k] = sigmoid(p[1 + k]) * s * d;
      // d/ds [w s sg(1-sg)] = w [d + s (t - c) d (1 - 2 sg)]
      dgp[1 + units + k] = sigmoid(p[1 + units + k]) * w * (d + s * (t - c) * d * (1 - 2 * sg));
    }
    return gp;
  }

  /**
   * Writes the initial raw parameters: A = W_k = softplus(0) = ln 2 and S_k = 8, a smooth,
   * nearly linear gt.
   */
  public void initialize(double[] params) {
    params[0] = 0;
    for (int k = 0; k < units; k++) {
      params[1 + k] = 0;
      params[1 + units + k] = Math.log(Math.expm1(8.0));
    }
  }

  static double softplus(double x) {
    return x > 30 ? x : Math.log1p(Math.exp(x));
  }

  static double sigmoid(double x) {
    return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }
}
