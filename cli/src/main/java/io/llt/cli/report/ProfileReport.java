package io.llt.cli.report;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * One profiling run of {@code llt profile}: the run's metadata, the measurements of the local
 * schedule and of its backprop baseline on the same data and batch size, and optionally a sweep
 * over network depth.
 *
 * <p>The record and its nested records are immutable; every list and map is copied on construction,
 * and single-field checks run in the compact constructors, so a report read back from {@code
 * report.json} is validated like one built in code. Bytes are {@code long}s with the unit in the
 * name; MiB appear only in the rendered Markdown and HTML. {@code report.json} uses the component
 * names below as its field names.
 *
 * @param metadata where and from what the run was made
 * @param local the local-learning schedule's measurements
 * @param backprop the backprop baseline's measurements
 * @param depthSweep peak memory against depth, in increasing depth; empty when no sweep was run
 */
public record ProfileReport(
    Metadata metadata,
    ScheduleProfile local,
    ScheduleProfile backprop,
    List<DepthPoint> depthSweep) {

  /** Validates and copies the components; a {@code null} depth sweep becomes an empty one. */
  public ProfileReport {
    Objects.requireNonNull(metadata, "metadata");
    Objects.requireNonNull(local, "local");
    Objects.requireNonNull(backprop, "backprop");
    depthSweep = depthSweep == null ? List.of() : List.copyOf(depthSweep);
    for (int i = 1; i < depthSweep.size(); i++) {
      int previous = depthSweep.get(i - 1).depth();
      int depth = depthSweep.get(i).depth();
      if (depth <= previous) {
        throw new IllegalArgumentException(
            "depthSweep must be in strictly increasing depth, found "
                + depth
                + " after "
                + previous);
      }
    }
  }

  /** Returns whether the report has a depth sweep. */
  public boolean hasDepthSweep() {
    return !depthSweep.isEmpty();
  }

  /**
   * Where and from what a profile was made.
   *
   * @param engineVersion the engine version ({@code BuildInfo.version()})
   * @param commit the git commit the engine was built from ({@code BuildInfo.commit()})
   * @param backend the ND4J backend, for example {@code cpu} or {@code cuda}
   * @param jvm the Java runtime, for example {@code OpenJDK 17.0.15+6}
   * @param os the operating system and architecture, for example {@code Linux 6.1 amd64}
   * @param createdAt when the report was made, ISO-8601 date-time with offset or zone ({@code
   *     2025-01-31T12:00:00Z})
   * @param resolvedConfigYaml the resolved experiment config, defaults included, as YAML
   * @param dataFileSha256 SHA-256 (64 lower-case hex digits) of each data file, by file name; empty
   *     for synthetic data
   */
  public record Metadata(
      String engineVersion,
      String commit,
      String backend,
      String jvm,
      String os,
      String createdAt,
      String resolvedConfigYaml,
      Map<String, String> dataFileSha256) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    /** Validates the components and copies the hashes into name order. */
    public Metadata {
      requireText(engineVersion, "engineVersion");
      requireText(commit, "commit");
      requireText(backend, "backend");
      requireText(jvm, "jvm");
      requireText(os, "os");
      requireText(createdAt, "createdAt");
      try {
        DateTimeFormatter.ISO_DATE_TIME.parse(createdAt);
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "createdAt must be an ISO-8601 date-time such as 2025-01-31T12:00:00Z, found '"
                + createdAt
                + "'",
            e);
      }
      Objects.requireNonNull(resolvedConfigYaml, "resolvedConfigYaml");
      Map<String, String> hashes = new TreeMap<>();
      if (dataFileSha256 != null) {
        for (Map.Entry<String, String> e : dataFileSha256.entrySet()) {
          requireText(e.getKey(), "dataFileSha256 key");
          String hash = e.getValue() == null ? "" : e.getValue().toLowerCase(Locale.ROOT);
          if (!SHA256.matcher(hash).matches()) {
            throw new IllegalArgumentException(
                "dataFileSha256["
                    + e.getKey()
                    + "] must be 64 hex digits, found '"
                    + e.getValue()
                    + "'");
          }
          hashes.put(e.getKey(), hash);
        }
      }
      dataFileSha256 = Collections.unmodifiableMap(hashes);
    }
  }

  /**
   * The measurements of one schedule (the local one or the backprop baseline).
   *
   * @param schedule the schedule's config name, for example {@code simultaneous} or {@code
   *     backprop}
   * @param peakNativeBytes the highest native (off-heap) byte count sampled during the run, >= 0
   * @param peakHeapBytes the highest JVM heap use sampled during the run, >= 0
   * @param samplesPerSecond training throughput in examples per second, finite and >= 0
   * @param steps training steps (batches) measured, >= 0
   * @param blocks estimate against measured peak for each block, in graph order, distinct ids
   * @param samples native memory over the run, in non-decreasing elapsed time
   */
  public record ScheduleProfile(
      String schedule,
      long peakNativeBytes,
      long peakHeapBytes,
      double samplesPerSecond,
      long steps,
      List<BlockMemory> blocks,
      List<NativeSample> samples) {

    /** Validates and copies the components; {@code null} lists become empty ones. */
    public ScheduleProfile {
      requireText(schedule, "schedule");
      requireBytes(peakNativeBytes, "peakNativeBytes");
      requireBytes(peakHeapBytes, "peakHeapBytes");
      if (!Double.isFinite(samplesPerSecond) || samplesPerSecond < 0) {
        throw new IllegalArgumentException(
            "samplesPerSecond must be finite and >= 0, found " + samplesPerSecond);
      }
      if (steps < 0) {
        throw new IllegalArgumentException("steps must be >= 0, found " + steps);
      }
      blocks = blocks == null ? List.of() : List.copyOf(blocks);
      Set<String> ids = new HashSet<>();
      for (BlockMemory b : blocks) {
        if (!ids.add(b.blockId())) {
          throw new IllegalArgumentException(
              "blocks must have distinct ids, found '" + b.blockId() + "' twice");
        }
      }
      samples = samples == null ? List.of() : List.copyOf(samples);
      for (int i = 1; i < samples.size(); i++) {
        long previous = samples.get(i - 1).elapsedMillis();
        long now = samples.get(i).elapsedMillis();
        if (now < previous) {
          throw new IllegalArgumentException(
              "samples must be in non-decreasing elapsedMillis, found "
                  + now
                  + " after "
                  + previous);
        }
      }
    }
  }

  /**
   * One block's estimated and measured memory.
   *
   * @param blockId the block id, as in the config
   * @param estimatedFixedBytes estimated parameter, gradient, optimizer and rule-state bytes, >= 0
   * @param estimatedPeakBytes estimated fixed plus variable (activation and working) bytes at the
   *     run's batch size, >= 0
   * @param measuredPeakBytes the highest native byte count measured while the block was active, >=
   *     0
   * @param phasePeakBytes measured peak per phase; a phase that was not measured is absent
   */
  public record BlockMemory(
      String blockId,
      long estimatedFixedBytes,
      long estimatedPeakBytes,
      long measuredPeakBytes,
      Map<Phase, Long> phasePeakBytes) {

    /** Validates the components and copies the phase peaks into phase order. */
    public BlockMemory {
      requireText(blockId, "blockId");
      requireBytes(estimatedFixedBytes, "estimatedFixedBytes");
      requireBytes(estimatedPeakBytes, "estimatedPeakBytes");
      requireBytes(measuredPeakBytes, "measuredPeakBytes");
      Map<Phase, Long> phases = new EnumMap<>(Phase.class);
      if (phasePeakBytes != null) {
        for (Map.Entry<Phase, Long> e : phasePeakBytes.entrySet()) {
          Phase phase = Objects.requireNonNull(e.getKey(), "phasePeakBytes key");
          Long bytes = Objects.requireNonNull(e.getValue(), "phasePeakBytes[" + phase.id() + "]");
          requireBytes(bytes, "phasePeakBytes[" + phase.id() + "]");
          phases.put(phase, bytes);
        }
      }
      phasePeakBytes = Collections.unmodifiableMap(phases);
    }

    /**
     * Returns measured peak over estimated peak, or {@code NaN} when the estimate is zero.
     *
     * @return the ratio; above 1 means the estimator under-counts
     */
    public double measuredToEstimatedRatio() {
      return estimatedPeakBytes == 0 ? Double.NaN : (double) measuredPeakBytes / estimatedPeakBytes;
    }
  }

  /** A phase of a block's work whose peak is measured separately. */
  public enum Phase {
    /** The training forward pass and local objective. */
    FORWARD("forward"),
    /** The gradient computation and optimizer update. */
    UPDATE("update"),
    /** The forward pass in inference mode (evaluation). */
    INFERENCE("inference");

    private final String id;

    Phase(String id) {
      this.id = id;
    }

    /** Returns the lower-case name used in {@code report.json} and the rendered tables. */
    @JsonValue
    public String id() {
      return id;
    }

    /**
     * Returns the phase with the given {@link #id()}.
     *
     * @param id {@code forward}, {@code update} or {@code inference}
     * @return the phase
     * @throws IllegalArgumentException for any other id
     */
    @JsonCreator
    public static Phase of(String id) {
      for (Phase p : values()) {
        if (p.id.equals(id)) {
          return p;
        }
      }
      throw new IllegalArgumentException(
          "phase must be one of forward, update, inference, found '" + id + "'");
    }
  }

  /**
   * One sample of native memory.
   *
   * @param elapsedMillis milliseconds since the schedule's measurement started, >= 0
   * @param nativeBytes native (off-heap) bytes in use, >= 0
   */
  public record NativeSample(long elapsedMillis, long nativeBytes) {

    /** Validates the components. */
    public NativeSample {
      if (elapsedMillis < 0) {
        throw new IllegalArgumentException("elapsedMillis must be >= 0, found " + elapsedMillis);
      }
      requireBytes(nativeBytes, "nativeBytes");
    }
  }

  /**
   * Peak memory at one network depth.
   *
   * @param depth number of blocks, >= 1
   * @param localPeakBytes the local schedule's peak native bytes, >= 0
   * @param backpropPeakBytes the backprop baseline's peak native bytes, >= 0
   * @param localActivationAndWorkingBytes the local schedule's measured peak minus its blocks'
   *     fixed bytes (parameters, gradients, optimizer state): the activation, hand-off and working
   *     memory, which the local schedule keeps for one block at a time, >= 0
   */
  public record DepthPoint(
      int depth, long localPeakBytes, long backpropPeakBytes, long localActivationAndWorkingBytes) {

    /** Validates the components. */
    public DepthPoint {
      if (depth < 1) {
        throw new IllegalArgumentException("depth must be >= 1, found " + depth);
      }
      requireBytes(localPeakBytes, "localPeakBytes");
      requireBytes(backpropPeakBytes, "backpropPeakBytes");
      requireBytes(localActivationAndWorkingBytes, "localActivationAndWorkingBytes");
    }
  }

  private static void requireBytes(long bytes, String name) {
    if (bytes < 0) {
      throw new IllegalArgumentException(name + " must be >= 0, found " + bytes);
    }
  }

  private static void requireText(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must not be blank, found '" + value + "'");
    }
  }
}
