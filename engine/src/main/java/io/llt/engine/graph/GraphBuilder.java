package io.llt.engine.graph;

import io.llt.engine.config.BlockConfig;
import io.llt.engine.config.PhaseConfig;
import io.llt.engine.config.ConfigDefaults;
import io.llt.engine.config.ExperimentConfig;
import io.llt.engine.config.OptimizerConfig;
import io.llt.engine.config.Schedule;
import io.llt.engine.config.TypeRegistry;
import io.llt.engine.spi.BlockContext;
import io.llt.engine.spi.ChainLayer;
import io.llt.engine.spi.Layer;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.RuleState;
import io.llt.engine.util.Seeds;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Checks a model config against the data's shape (graph-level validation) and builds the block
 * chain for a schedule. Validation never mutates the config and never fills defaults.
 */
public final class GraphBuilder {
  private final TypeRegistry registry;

  /** Creates a builder that resolves the backprop baseline rule through {@code registry}. */
  public GraphBuilder(TypeRegistry registry) {
    this.registry = registry;
  }

  /**
   * A graph-level problem: a dotted config path and what is wrong there.
   *
   * @param path the dotted path, for example {@code model.blocks[1].layers[0]}
   * @param message the rule and the fix
   */
  public record Issue(String path, String message) {}

  /** Returns the id of block {@code i}: its configured id, or {@code b<i+1>}. */
  public static String blockId(BlockConfig b, int i) {
    return b.id() != null ? b.id() : "b" + (i + 1);
  }

  /**
   * Validates the model against the data: rules present and compatible with the schedule, unique
   * block ids, the declared input shape, and every layer's input shape.
   *
   * @return every problem found (empty when the graph is valid)
   */
  public List<Issue> validate(ExperimentConfig config, long[] inputShape) {
    List<Issue> issues = new ArrayList<>();
    var model = config.model();
    Schedule schedule = config.trainer().schedule();
    if (model.input() != null) {
      long[] declared = model.input().stream().mapToLong(Long::longValue).toArray();
      long[] data = config.data().exampleShape();
      if (product(declared) != product(data)) {
        issues.add(
            new Issue(
                "model.input",
                "is "
                    + model.input()
                    + " ("
                    + product(declared)
                    + " values) but the data's examples have shape "
                    + Arrays.toString(data)
                    + "; give a shape with the same number of values, or remove model.input"));
        return issues;
      }
    }
    Integer stages = config.trainer().stages();
    if (schedule == Schedule.PIPELINED && stages != null && stages > model.blocks().size()) {
      issues.add(
          new Issue(
              "trainer.stages",
              "is " + stages + " but the model has only " + model.blocks().size()
                  + " block(s); use at most one stage per block"));
    }
    Set<String> ids = new HashSet<>();
    String layout = null;
    List<ChainLayer> chain = chainOrEmpty(config, inputShape);
    long[] shape = inputShape;
    for (int i = 0; i < model.blocks().size(); i++) {
      BlockConfig b = model.blocks().get(i);
      String path = "model.blocks[" + i + "]";
      String id = blockId(b, i);
      if (!ids.add(id)) {
        issues.add(new Issue(path + ".id", "'" + id + "' is used by two blocks; ids must be unique"));
      }
      LocalRuleConfig rule = b.rule() != null ? b.rule() : model.rule();
      if (rule == null) {
        issues.add(
            new Issue(
                path + ".rule",
                "is required (block '" + id + "' has no rule and model.rule is not set)"));
      } else if (schedule != Schedule.BACKPROP
          && Schedule.BACKPROP_RULE_ID.equals(registry.idOf(rule))) {
        issues.add(
            new Issue(
                b.rule() != null ? path + ".rule.type" : "model.rule.type",
                "'backprop' trains the whole graph end to end; set trainer.schedule: backprop"));
      }
      LocalRule ruleOf = rule == null ? null : rule.build();
      if (ruleOf != null) {
        String problem = ruleOf.scheduleProblem(schedule);
        String where = "trainer.schedule";
        if (problem != null && issues.stream().noneMatch(x -> x.path().equals(where))) {
          issues.add(
              new Issue(where, "'" + schedule.name().toLowerCase(java.util.Locale.ROOT)
                  + "' cannot train '" + registry.idOf(rule) + "' blocks: " + problem));
        }
      }
      if (ruleOf != null && schedule != Schedule.BACKPROP) {
        String mine = ruleOf.rowLayout();
        if (layout == null) {
          layout = mine;
        } else if (!layout.equals(mine)) {
          issues.add(
              new Issue(
                  b.rule() != null ? path + ".rule" : "model.rule",
                  "(block '" + id + "') exchanges rows as " + mine + ", but the first block's"
                      + " rule makes " + layout + "; give these blocks the same rule settings"));
        }
      }
      if (ruleOf != null && schedule == Schedule.PIPELINED) {
        String where = b.rule() != null ? path + ".rule" : "model.rule";
        boolean reported = issues.stream().anyMatch(x -> x.path().equals(where));
        if (!reported && (ruleOf.lookahead() || ruleOf.readsNetworkScores())) {
          issues.add(
              new Issue(
                  b.rule() != null ? path + ".rule" : "model.rule",
                  "'" + registry.idOf(rule) + "' with these settings reads the whole network on"
                      + " every batch, which pipeline stages cannot do; use trainer.schedule:"
                      + " simultaneous or greedy"));
        }
      }
      List<Layer> built = new ArrayList<>();
      long[] blockInput = shape;
      for (int j = 0; j < b.layers().size(); j++) {
        try {
          Layer l = b.layers().get(j).build(shape, DataType.FLOAT);
          built.add(l);
          shape = l.outputShape();
        } catch (IllegalArgumentException e) {
          issues.add(
              new Issue(
                  path + ".layers[" + j + "]",
                  "(block '" + id + "') " + e.getMessage()));
          return issues;
        }
      }
      if (rule != null && schedule != Schedule.BACKPROP) {
        BlockContext ctx =
            new BlockContext(
                id, i, model.blocks().size(), blockInput, shape, config.data().numClasses(),
                DataType.FLOAT, new long[0], chain);
        for (String problem : ruleOf.layerProblems(built, ctx)) {
          issues.add(new Issue(path + ".layers", "(block '" + id + "') " + problem));
        }
        shape = handedOn(ruleOf, blockInput, shape);
      }
    }
    checkPhases(config, issues);
    return issues;
  }

  /** Checks that {@code trainer.phases} lists every block once, consecutively and in order. */
  private static void checkPhases(ExperimentConfig config, List<Issue> issues) {
    List<PhaseConfig> phases = config.trainer().phases();
    if (phases == null) {
      return;
    }
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < config.model().blocks().size(); i++) {
      ids.add(blockId(config.model().blocks().get(i), i));
    }
    int next = 0;
    for (int p = 0; p < phases.size(); p++) {
      List<String> listed = phases.get(p).blocks();
      for (int j = 0; j < listed.size(); j++) {
        String path = "trainer.phases[" + p + "].blocks[" + j + "]";
        String id = listed.get(j);
        if (!ids.contains(id)) {
          issues.add(new Issue(path, "'" + id + "' is not a block id; the blocks are " + ids));
          return;
        }
        if (next >= ids.size() || !ids.get(next).equals(id)) {
          issues.add(
              new Issue(
                  path,
                  "is '" + id + "' but the next block in chain order is "
                      + (next < ids.size() ? "'" + ids.get(next) + "'" : "none")
                      + "; phases must list every block once, in chain order " + ids));
          return;
        }
        next++;
      }
    }
    if (next < ids.size()) {
      issues.add(
          new Issue(
              "trainer.phases",
              "leaves out " + ids.subList(next, ids.size())
                  + "; every block must belong to a phase"));
    }
  }

  /**
   * Returns the rules' warnings about a valid config (settings that are legal but probably not
   * what was meant), each prefixed with the block's config path.
   */
  public List<String> warnings(ExperimentConfig config, long[] inputShape, int numClasses) {
    return perBlock(config, inputShape, numClasses, (rule, ctx, b) -> rule.warnings(ctx, b.layers()));
  }

  /**
   * Returns the rules' notes about a valid config (facts worth showing before a run, such as
   * NoProp's per-block noise levels and loss weights), each prefixed with the block's config path.
   */
  public List<String> notes(ExperimentConfig config, long[] inputShape, int numClasses) {
    return perBlock(config, inputShape, numClasses, (rule, ctx, b) -> rule.notes(ctx));
  }

  private interface BlockLines {
    List<String> lines(LocalRule rule, BlockContext context, BlockConfig block);
  }

  private static List<String> perBlock(
      ExperimentConfig config, long[] inputShape, int numClasses, BlockLines what) {
    var model = config.model();
    int n = model.blocks().size();
    long[] sizes = blockOutputSizes(config, inputShape);
    List<ChainLayer> chain = chain(config, inputShape, DataType.FLOAT);
    List<String> out = new ArrayList<>();
    long[] shape = inputShape;
    for (int i = 0; i < n; i++) {
      BlockConfig b = model.blocks().get(i);
      long[] in = shape;
      for (LayerConfig lc : b.layers()) {
        shape = lc.build(shape, DataType.FLOAT).outputShape();
      }
      LocalRule rule = (b.rule() != null ? b.rule() : model.rule()).build();
      BlockContext ctx =
          new BlockContext(
              blockId(b, i), i, n, in, shape, numClasses, DataType.FLOAT, sizes, chain);
      for (String w : what.lines(rule, ctx, b)) {
        out.add("model.blocks[" + i + "] ('" + blockId(b, i) + "'): " + w);
      }
      shape = handedOn(rule, in, shape);
    }
    return out;
  }

  /**
   * Returns the per-example shape of the rows a block hands to the next block: its layers' output,
   * or its own input when its rule {@linkplain LocalRule#handsOnInput hands on its input}.
   *
   * @param rule the block's rule
   * @param blockInput the block's input shape
   * @param layersOutput the output shape of the block's last layer
   */
  public static long[] handedOn(LocalRule rule, long[] blockInput, long[] layersOutput) {
    return rule.handsOnInput() ? blockInput : layersOutput;
  }

  /**
   * Returns the per-example output size of every configured block's last layer (what a head on the
   * block sees), in order.
   */
  static long[] blockOutputSizes(ExperimentConfig config, long[] inputShape) {
    var blocks = config.model().blocks();
    long[] sizes = new long[blocks.size()];
    long[] shape = inputShape;
    for (int i = 0; i < sizes.length; i++) {
      BlockConfig b = blocks.get(i);
      long[] in = shape;
      for (LayerConfig lc : b.layers()) {
        shape = lc.build(shape, DataType.FLOAT).outputShape();
      }
      sizes[i] = product(shape);
      shape = handedOn((b.rule() != null ? b.rule() : config.model().rule()).build(), in, shape);
    }
    return sizes;
  }

  /**
   * Returns every layer of the configured chain with the shapes it reads and writes, in order (what
   * rules that build from other blocks' layers see in {@link BlockContext#chain}).
   *
   * @throws IllegalArgumentException when a layer does not fit its input (the config did not pass
   *     {@link #validate})
   */
  public static List<ChainLayer> chain(
      ExperimentConfig config, long[] inputShape, DataType dataType) {
    var blocks = config.model().blocks();
    List<ChainLayer> out = new ArrayList<>();
    long[] shape = inputShape;
    for (int i = 0; i < blocks.size(); i++) {
      BlockConfig b = blocks.get(i);
      long[] in = shape;
      for (LayerConfig lc : b.layers()) {
        long[] next = lc.build(shape, dataType).outputShape();
        out.add(new ChainLayer(i, lc, shape, next));
        shape = next;
      }
      LocalRuleConfig rule = b.rule() != null ? b.rule() : config.model().rule();
      if (rule != null && config.trainer().schedule() != Schedule.BACKPROP) {
        shape = handedOn(rule.build(), in, shape);
      }
    }
    return out;
  }

  private static List<ChainLayer> chainOrEmpty(ExperimentConfig config, long[] inputShape) {
    try {
      return chain(config, inputShape, DataType.FLOAT);
    } catch (IllegalArgumentException e) {
      return List.of(); // validate reports the layer that does not fit
    }
  }

  /**
   * Builds the block chain for the config's schedule and allocates every block's memory. The
   * config must have passed {@link #validate}.
   */
  public BlockGraph build(
      ExperimentConfig config, long[] inputShape, int numClasses, DataType dataType) {
    var model = config.model();
    Schedule schedule = config.trainer().schedule();
    long seed = config.seed();
    int n = model.blocks().size();
    List<Block> blocks = new ArrayList<>();
    try {
      if (schedule == Schedule.BACKPROP) {
        List<Layer> layers = new ArrayList<>();
        List<Long> seeds = new ArrayList<>();
        long[] shape = inputShape;
        for (int i = 0; i < n; i++) {
          List<LayerConfig> lcs = model.blocks().get(i).layers();
          for (int j = 0; j < lcs.size(); j++) {
            Layer l = lcs.get(j).build(shape, dataType);
            layers.add(l);
            seeds.add(Seeds.derive(seed, "init", i, j));
            shape = l.outputShape();
          }
        }
        LocalRule rule = backpropRule(model.rule()).build();
        BlockContext ctx =
            new BlockContext(
                "backprop", 0, 1, inputShape, shape, numClasses, dataType,
                new long[] {product(shape)});
        RuleState state = rule.createState(ctx);
        blocks.add(
            new Block(
                "backprop",
                0,
                layers,
                seeds.stream().mapToLong(Long::longValue).toArray(),
                rule,
                state,
                Seeds.derive(seed, "rule-init", n - 1),
                config.trainer().optimizer(),
                dataType));
      } else {
        long[] sizes = blockOutputSizes(config, inputShape);
        List<ChainLayer> chain = chain(config, inputShape, dataType);
        long[] shape = inputShape;
        for (int i = 0; i < n; i++) {
          BlockConfig b = model.blocks().get(i);
          List<Layer> layers = new ArrayList<>();
          long[] seeds = new long[b.layers().size()];
          long[] in = shape;
          for (int j = 0; j < b.layers().size(); j++) {
            Layer l = b.layers().get(j).build(shape, dataType);
            layers.add(l);
            seeds[j] = Seeds.derive(seed, "init", i, j);
            shape = l.outputShape();
          }
          LocalRule rule = (b.rule() != null ? b.rule() : model.rule()).build();
          String id = blockId(b, i);
          RuleState state =
              rule.createState(
                  new BlockContext(id, i, n, in, shape, numClasses, dataType, sizes, chain));
          OptimizerConfig opt = b.optimizer() != null ? b.optimizer() : config.trainer().optimizer();
          blocks.add(
              new Block(
                  id, i, layers, seeds, rule, state, Seeds.derive(seed, "rule-init", i), opt,
                  dataType));
          shape = handedOn(rule, in, shape);
        }
        for (int i = 0; i + 1 < n; i++) {
          if (blocks.get(i).rule().readsSuccessorFirstLayer()) {
            blocks.get(i).linkSuccessor(blocks.get(i + 1));
          }
        }
        List<RuleState> states = blocks.stream().map(Block::state).toList();
        for (int i = 0; i < n; i++) {
          states.get(i).link(i, states);
        }
      }
    } catch (RuntimeException e) {
      blocks.forEach(Block::close);
      throw e;
    }
    return new BlockGraph(List.copyOf(blocks), schedule, inputShape, numClasses);
  }

  private LocalRuleConfig backpropRule(LocalRuleConfig modelRule) {
    if (modelRule != null && Schedule.BACKPROP_RULE_ID.equals(registry.idOf(modelRule))) {
      return modelRule;
    }
    Class<?> type =
        registry
            .configType(LocalRuleConfig.class, Schedule.BACKPROP_RULE_ID)
            .orElseThrow(
                () -> new IllegalStateException("the 'backprop' rule is not on the class path"));
    @SuppressWarnings("unchecked")
    Class<? extends Record> rt = (Class<? extends Record>) type;
    return (LocalRuleConfig) ConfigDefaults.of(rt);
  }

  private static long product(long[] s) {
    long p = 1;
    for (long d : s) {
      p *= d;
    }
    return p;
  }
}
