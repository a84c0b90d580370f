package io.llt.cli.command;

import io.llt.engine.config.TypeRegistry;
import io.llt.engine.spi.DataConfig;
import io.llt.engine.spi.LayerConfig;
import io.llt.engine.spi.LocalRuleConfig;
import io.llt.engine.spi.TypedProvider;
import java.io.PrintWriter;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code llt list rules|layers|datasets}: what is registered, with each config's keys. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    description = "List registered rules, layers or datasets with their config keys.")
public final class ListCommand implements Callable<Integer> {
  /** What to list. */
  public enum What {
    /** Learning rules. */
    RULES,
    /** Layer types. */
    LAYERS,
    /** Data sources. */
    DATASETS
  }

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "WHAT", description = "rules, layers or datasets")
  What what;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    TypeRegistry registry = TypeRegistry.load();
    Class<?> family =
        what == What.RULES
            ? LocalRuleConfig.class
            : what == What.LAYERS ? LayerConfig.class : DataConfig.class;
    for (TypedProvider<?> p : registry.providers(family)) {
      out.printf(Locale.ROOT, "%-16s %s%n", p.id(), p.description());
      List<String> keys = new ArrayList<>();
      for (RecordComponent rc : p.configType().getRecordComponents()) {
        keys.add(rc.getName() + ": " + typeName(rc));
      }
      if (!keys.isEmpty()) {
        out.printf(Locale.ROOT, "%-16s keys: %s%n", "", String.join(", ", keys));
      }
    }
    return 0;
  }

  private static String typeName(RecordComponent rc) {
    Class<?> t = rc.getType();
    if (t.isEnum()) {
      List<String> vals = new ArrayList<>();
      for (Object o : t.getEnumConstants()) {
        vals.add(((Enum<?>) o).name().toLowerCase(Locale.ROOT).replace('_', '-'));
      }
      return String.join("|", vals);
    }
    return t.getSimpleName().toLowerCase(Locale.ROOT);
  }
}
