package io.llt.engine.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.llt.engine.config.TestConfigs.Activation;
import io.llt.engine.config.TestConfigs.BackpropRule;
import io.llt.engine.config.TestConfigs.Block;
import io.llt.engine.config.TestConfigs.Experiment;
import io.llt.engine.config.TestConfigs.Model;
import io.llt.engine.config.TestConfigs.MonoForwardRule;
import io.llt.engine.config.TestConfigs.Schedule;
import io.llt.engine.config.TestConfigs.Trainer;
import io.llt.engine.spi.LocalRule;
import io.llt.engine.spi.LocalRuleConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ConfigWriterTest {
  private final TypeRegistry registry = TestConfigs.registry();
  private final ConfigWriter writer = new ConfigWriter(registry);
  private final ConfigLoader loader = new ConfigLoader(registry);

  @Test
  void toMapKeepsComponentOrderPutsTypeFirstAndWritesPlainValues() {
    Map<String, Object> map = writer.toMap(TestConfigs.valid());

    assertThat(map).isInstanceOf(java.util.LinkedHashMap.class);
    assertThat(map.keySet())
        .containsExactly("name", "seed", "output", "timeLimit", "model", "trainer");
    assertThat(map.get("output")).isEqualTo("runs/tiny");
    assertThat(map.get("timeLimit")).isEqualTo("PT10M");
    @SuppressWarnings("unchecked")
    Map<String, Object> model = (Map<String, Object>) map.get("model");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> blocks = (List<Map<String, Object>>) model.get("blocks");
    assertThat(blocks.get(1).get("activation")).isEqualTo("one-hot");
    @SuppressWarnings("unchecked")
    Map<String, Object> rule = (Map<String, Object>) blocks.get(0).get("rule");
    assertThat(rule.keySet()).containsExactly("type", "learningRate", "margin");
    assertThat(rule.get("type")).isEqualTo("mono-forward");
  }

  @Test
  void toMapOmitsNulls() {
    Map<String, Object> rule = writer.toMap(new MonoForwardRule(0.1, null));

    assertThat(rule).containsOnlyKeys("type", "learningRate");
  }

  @Test
  void toYamlIsBlockStyle() {
    String yaml = writer.toYaml(TestConfigs.valid());

    assertThat(yaml)
        .doesNotContain("{", "[")
        .contains("\n    - id: b1\n", "\n      rule:\n        type: mono-forward\n");
  }

  @Test
  void roundTripGivesAnEqualConfig() {
    Experiment original = TestConfigs.valid();

    Experiment back = reload(original);

    assertThat(back).isEqualTo(original);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "null",
        "~",
        "",
        "true",
        "123",
        "1e-3",
        "a: b",
        "- x",
        "'quoted'",
        "#x",
        " padded "
      })
  void roundTripKeepsStringsThatLookLikeOtherThings(String name) {
    Experiment original = withName(TestConfigs.valid(), name);

    assertThat(reload(original)).isEqualTo(original);
  }

  @Test
  void roundTripKeepsNullsExtremeNumbersAndAbsentOptionals() {
    Experiment original =
        new Experiment(
            "edge",
            Long.MIN_VALUE,
            null,
            null,
            new Model(
                List.of(Integer.MAX_VALUE),
                List.of(new Block("b", 1, Activation.ONE_HOT, new MonoForwardRule(1e-300, -0.0)))),
            new Trainer(Schedule.BACKPROP, 1, 1, true));

    assertThat(reload(original)).isEqualTo(original);
  }

  @Test
  void typedRecordAtTheRootRoundTrips() {
    String yaml = writer.toYaml(new BackpropRule(0.25));

    assertThat(yaml).startsWith("type: backprop\n");
    assertThat(loader.loadString(yaml, "r.yaml", BackpropRule.class, List.of()).config())
        .isEqualTo(new BackpropRule(0.25));
  }

  @Test
  void unregisteredTypedConfigCannotBeWritten() {
    record Stray() implements LocalRuleConfig {
      @Override
      public LocalRule build() {
        throw new UnsupportedOperationException("test-only");
      }
    }

    assertThatThrownBy(() -> writer.toMap(new Stray())).isInstanceOf(IllegalStateException.class);
  }

  private Experiment reload(Experiment config) {
    return loader
        .loadString(writer.toYaml(config), "resolved.yaml", Experiment.class, List.of())
        .config();
  }

  private static Experiment withName(Experiment e, String name) {
    return new Experiment(name, e.seed(), e.output(), e.timeLimit(), e.model(), e.trainer());
  }

  @Test
  void pathsAreWrittenAsStrings() {
    Experiment e = TestConfigs.valid();
    Experiment withPath =
        new Experiment(
            e.name(), e.seed(), Path.of("a", "b c"), e.timeLimit(), e.model(), e.trainer());

    assertThat(writer.toMap(withPath).get("output")).isEqualTo("a/b c");
    assertThat(reload(withPath)).isEqualTo(withPath);
  }
}
