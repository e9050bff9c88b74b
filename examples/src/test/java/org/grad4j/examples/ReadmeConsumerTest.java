package org.grad4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The README's consumer pom is examples/consumer/pom.xml, which .ci/run builds and runs: the front
 * page shows what CI proves works.
 */
class ReadmeConsumerTest {
    @Test
    void theReadmeShowsTheConsumerPomVerbatim() throws IOException {
        // Maven runs the tests in the module directory, examples/.
        String readme = Files.readString(Path.of("../README.md"));
        String pom = Files.readString(Path.of("consumer/pom.xml"));
        String open = "```xml\n<?xml";
        int start = readme.indexOf(open);
        assertTrue(start >= 0, "README.md has no ```xml block that starts with <?xml");
        int end = readme.indexOf("```\n", start + open.length());
        assertEquals(pom, readme.substring(start + "```xml\n".length(), end));
    }
}
