package dev.nest.plugins.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.nest.function.SpecProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KafkaTriggerSettingsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode settings(String json) throws Exception {
        return (ObjectNode) JSON.readTree(json);
    }

    @Test
    void defaultsNeedOnlyBrokersAndTopic() throws Exception {
        List<SpecProblem> problems = new ArrayList<>();
        KafkaTriggerSettings s = KafkaTriggerSettings.parse("triggers[0]",
                settings("{\"bootstrap\":\"127.0.0.1:9092\",\"topic\":\"orders\"}"), problems).orElseThrow();
        assertEquals(List.of(), problems);
        assertEquals(new KafkaTriggerSettings("127.0.0.1:9092", "orders", Optional.empty(), 100, Duration.ofMillis(500),
                KafkaTriggerSettings.Start.LATEST, 2, Optional.empty()), s);
        assertEquals("nest-trigger.shop.billing.kafka-0", s.groupFor("shop", "billing", "kafka-0"));
    }

    @Test
    void everySettingIsRead() throws Exception {
        KafkaTriggerSettings s = KafkaTriggerSettings.parse("t", settings("""
                {"bootstrap":"a:1,b:2","topic":"in","group":"g","batch-size":10,"batch-window":"2s","start":"earliest",
                 "retries":0,"dead-letter-topic":"in-dlt"}"""), new ArrayList<>()).orElseThrow();
        assertEquals(new KafkaTriggerSettings("a:1,b:2", "in", Optional.of("g"), 10, Duration.ofSeconds(2),
                KafkaTriggerSettings.Start.EARLIEST, 0, Optional.of("in-dlt")), s);
        assertEquals("g", s.groupFor("x", "y", "z"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{\"topic\":\"t\"}|t.bootstrap|required: host:port",
            "{\"bootstrap\":\"localhost\",\"topic\":\"t\"}|t.bootstrap|'localhost' is not host:port",
            "{\"bootstrap\":\"k:1\"}|t.topic|required",
            "{\"bootstrap\":\"k:1\",\"topic\":\"a topic\"}|t.topic|letters, digits",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"group\":\"g/h\"}|t.group|letters, digits",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-size\":0}|t.batch-size|from 1 to 10000",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-size\":10001}|t.batch-size|from 1 to 10000",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-size\":1.5}|t.batch-size|whole number",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"retries\":-1}|t.retries|from 0 to 100",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-window\":\"soon\"}|t.batch-window|0ms to 5m",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-window\":\"6m\"}|t.batch-window|0ms to 5m",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"start\":\"oldest\"}|t.start|latest",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"dead-letter-topic\":\"t\"}|t.dead-letter-topic|other than",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"topics\":\"t\"}|t.topics|unknown key",
            "{\"bootstrap\":\"k:99999\",\"topic\":\"t\"}|t.bootstrap|each port from 1 to 65535",
            "{\"bootstrap\":\"k:0\",\"topic\":\"t\"}|t.bootstrap|each port from 1 to 65535",
            "{\"bootstrap\":\"k:1\",\"topic\":\"ördérs\"}|t.topic|letters, digits",
            "{\"bootstrap\":\"k:1\",\"topic\":\"..\"}|t.topic|letters, digits",
            "{\"bootstrap\":\"k:1\",\"topic\":\"a;rm -rf\"}|t.topic|letters, digits",
            "{\"bootstrap\":\"k:1\",\"topic\":{\"a\":1}}|t.topic|value '{\"a\":1}' is not valid",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-size\":99999999999}|t.batch-size|from 1 to 10000",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-size\":\"1e9\"}|t.batch-size|whole number",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"batch-window\":\"-1s\"}|t.batch-window|0ms to 5m",
            "{\"bootstrap\":\"k:1\",\"topic\":\"t\",\"retries\":[1]}|t.retries|whole number",
    })
    void mistakesNameTheKeyAndWhatIsAllowed(String json, String key, String allowed) throws Exception {
        List<SpecProblem> problems = new ArrayList<>();
        assertTrue(KafkaTriggerSettings.parse("t", settings(json), problems).isEmpty());
        assertEquals(1, problems.size(), problems.toString());
        assertEquals(key, problems.getFirst().key());
        assertTrue(problems.getFirst().toString().contains(allowed), problems.toString());
    }

    @Test
    void theProviderReportsEveryMistakeAtOnce() throws Exception {
        List<SpecProblem> problems = new KafkaTriggerProvider().validate("triggers[1]",
                settings("{\"batch-size\":\"many\",\"start\":1}"));
        assertEquals(List.of("triggers[1].bootstrap", "triggers[1].topic", "triggers[1].batch-size",
                "triggers[1].start"), problems.stream().map(SpecProblem::key).toList());
    }

    @Test
    void aTooLongTopicIsRefusedWithoutEchoingItWhole() throws Exception {
        List<SpecProblem> problems = new ArrayList<>();
        String topic = "t".repeat(250);
        KafkaTriggerSettings.parse("t", settings("{\"bootstrap\":\"k:1\",\"topic\":\"" + topic + "\"}"), problems);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.getFirst().toString().contains("(250 characters)"), problems.toString());
        assertTrue(KafkaTriggerSettings.parse("t", settings("{\"bootstrap\":\"k:1\",\"topic\":\"" + "t".repeat(249)
                + "\"}"), new ArrayList<>()).isPresent(), "249 characters is Kafka's limit");
    }
}
