package org.grad4j.spark;

import java.io.Serializable;
import java.util.List;

/** What the setup job learns of one partition: its size and its replica's parameter shapes, or why it cannot train. */
record ShardInfo(int partition, int count, List<String> shapes, String error) implements Serializable {
    private static final long serialVersionUID = 1L;
}
