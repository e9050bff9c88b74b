package org.grad4j.data;

import static org.grad4j.data.Fixtures.gzip;
import static org.grad4j.data.Fixtures.images;
import static org.grad4j.data.Fixtures.randomLabels;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.grad4j.data.FashionMnist.Split;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The downloader against a JDK HTTP server on 127.0.0.1; nothing else is ever contacted. */
class DownloadTest {
    @TempDir
    Path tmp;

    private final Random rng = new Random(345);
    private HttpServer server;
    private URI mirror;
    /** What the server does for each path. */
    private final Map<String, Handler> routes = new ConcurrentHashMap<>();
    private final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                requests.add(path);
                Handler h = routes.get(path);
                if (h == null) {
                    exchange.sendResponseHeaders(404, -1);
                } else {
                    h.handle(exchange);
                }
            } catch (IOException e) {
                // A handler that cuts its body short makes the server fail here; that is the point.
            }
        });
        server.start();
        mirror = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static Handler serve(byte[] body) {
        return exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        };
    }

    /**
     * Declares the full length, sends {@code sent} bytes and drops the connection. The JDK server
     * keeps a connection open when a handler writes too little, so the whole server is stopped,
     * which closes its sockets.
     */
    private Handler cutShort(byte[] body, int sent) {
        return exchange -> {
            exchange.sendResponseHeaders(200, body.length);
            OutputStream out = exchange.getResponseBody();
            out.write(body, 0, sent);
            out.flush();
            server.stop(0);
        };
    }

    private static IdxFile spec(String name, int magic, byte[] content) {
        return new IdxFile(name, magic, Fixtures.sha256(content), content.length);
    }

    private List<String> listing(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void downloadsVerifiesAndRenamesOnlyWhatIsMissing() throws IOException {
        byte[] labels = randomLabels(20, 10, rng);
        byte[] imgs = images(20, 4, 4, rng);
        routes.put("/l-idx1-ubyte.gz", serve(gzip(labels)));
        routes.put("/i-idx3-ubyte.gz", serve(gzip(imgs)));
        Path dir = tmp.resolve("cache");
        Fixtures.write(dir, "present-idx1-ubyte", labels);
        List<IdxFile> files = List.of(spec("l-idx1-ubyte", Idx.LABELS, labels), spec("i-idx3-ubyte", Idx.IMAGES, imgs),
                spec("present-idx1-ubyte", Idx.LABELS, labels));
        Download.missing(mirror, dir, files);
        assertEquals(List.of("i-idx3-ubyte.gz", "l-idx1-ubyte.gz", "present-idx1-ubyte"), listing(dir));
        assertEquals(List.of("/l-idx1-ubyte.gz", "/i-idx3-ubyte.gz"), requests);
        assertArrayEquals(Idx.parse(imgs, "i").data(), Idx.read(dir.resolve("i-idx3-ubyte.gz")).data());
        // Everything present: no request at all.
        Download.missing(mirror, dir, files);
        assertEquals(2, requests.size());
    }

    @Test
    void bodyCutShortFailsAndLeavesNothing() throws IOException {
        byte[] packed = gzip(randomLabels(5000, 10, rng));
        routes.put("/t10k-labels-idx1-ubyte.gz", cutShort(packed, 1000));
        Path dir = tmp.resolve("cache");
        IOException e = assertThrows(IOException.class, () -> Download.missing(mirror, dir,
                List.of(new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, "0".repeat(64), 5008))));
        assertEquals("GET " + mirror + "t10k-labels-idx1-ubyte.gz: body cut short: received 1000 of " + packed.length
                + " bytes", e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void wrongBytesFailAndLeaveNothing() throws IOException {
        byte[] expected = randomLabels(100, 10, rng);
        byte[] served = randomLabels(100, 10, rng);
        routes.put("/t10k-labels-idx1-ubyte.gz", serve(gzip(served)));
        Path dir = tmp.resolve("cache");
        InvalidDatasetException e = assertThrows(InvalidDatasetException.class, () -> Download.missing(mirror, dir,
                List.of(spec("t10k-labels-idx1-ubyte", Idx.LABELS, expected))));
        assertEquals("t10k-labels-idx1-ubyte.gz from " + mirror + "t10k-labels-idx1-ubyte.gz: sha256 of the "
                + "decompressed IDX: actual " + Fixtures.sha256(served) + " != expected " + Fixtures.sha256(expected),
                e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void aPageInsteadOfTheFileFailsAndLeavesNothing() throws IOException {
        routes.put("/t10k-labels-idx1-ubyte.gz", serve("<html>moved</html>".getBytes(StandardCharsets.US_ASCII)));
        Path dir = tmp.resolve("cache");
        IdxFormatException e = assertThrows(IdxFormatException.class, () -> Download.missing(mirror, dir,
                List.of(new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, null, 10008))));
        assertEquals("t10k-labels-idx1-ubyte.gz: not gzip and not IDX: first bytes 0x3C68746D, "
                + "expected 0x1F8B (gzip) or 0x0000 (IDX)", e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void httpErrorStatus() throws IOException {
        Path dir = tmp.resolve("cache");
        IOException e = assertThrows(IOException.class, () -> Download.missing(mirror, dir,
                List.of(new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, null, 10008))));
        assertEquals("GET " + mirror + "t10k-labels-idx1-ubyte.gz: HTTP 404, expected 200", e.getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void nothingListening() throws IOException {
        server.stop(0);
        Path dir = tmp.resolve("cache");
        assertEquals("GET " + mirror + "t10k-labels-idx1-ubyte.gz: java.net.ConnectException: Connection refused",
                assertThrows(IOException.class, () -> Download.missing(mirror, dir,
                        List.of(new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, null, 10008)))).getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void notHttp() throws IOException {
        Path dir = tmp.resolve("cache");
        URI local = tmp.toUri();
        assertEquals("GET " + local.resolve("t10k-labels-idx1-ubyte.gz") + ": not an HTTP URL",
                assertThrows(IOException.class, () -> Download.missing(local, dir,
                        List.of(new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, null, 10008)))).getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void bodyLongerThanAnyGzipOfTheFile() throws IOException {
        IdxFile small = new IdxFile("t10k-labels-idx1-ubyte", Idx.LABELS, null, 100);
        long limit = Download.maxCompressed(small);
        assertEquals(100 + 1 + 4096, limit);
        byte[] big = new byte[(int) limit + 1];
        routes.put("/t10k-labels-idx1-ubyte.gz", serve(big));
        Path dir = tmp.resolve("cache");
        assertEquals("GET " + mirror + "t10k-labels-idx1-ubyte.gz: Content-Length 4198, expected at most 4197",
                assertThrows(IOException.class, () -> Download.missing(mirror, dir, List.of(small))).getMessage());
        // Without a Content-Length (chunked), the count stops it.
        routes.put("/t10k-labels-idx1-ubyte.gz", exchange -> {
            exchange.sendResponseHeaders(200, 0);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(big);
            }
        });
        assertEquals("GET " + mirror + "t10k-labels-idx1-ubyte.gz: body longer than 4197 bytes",
                assertThrows(IOException.class, () -> Download.missing(mirror, dir, List.of(small))).getMessage());
        assertEquals(List.of(), listing(dir));
    }

    @Test
    void notFoundAnywhereAndTheDownloadFails() throws IOException {
        Path cache = tmp.resolve("cache");
        FashionMnist f = new FashionMnist().withDataVariable(null).withCacheDirectory(cache)
                .withSystemDirectory(null).withMirror(URI.create(mirror.toString().replaceAll("/$", "")));
        DataNotFoundException e = assertThrows(DataNotFoundException.class, () -> f.load(Split.TEST));
        String[] lines = e.getMessage().split("\n");
        assertEquals("Download from " + mirror + " into " + cache + " failed: GET " + mirror
                + "train-images-idx3-ubyte.gz: HTTP 404, expected 200", lines[4]);
        assertEquals("  network access to " + mirror + " (the files are cached in " + cache + ")", lines[8]);
        assertTrue(e.getCause() instanceof IOException);
        assertSame(IOException.class, e.getCause().getClass());
        assertEquals(List.of(), listing(cache));
    }

    @Test
    void realFilesThroughTheLocalMirror() throws IOException {
        Path system = FashionMnist.SYSTEM_DIRECTORY;
        assumeTrue(Files.isDirectory(system), system + " is missing: apt-get install dataset-fashion-mnist");
        for (IdxFile file : FashionMnist.FILES) {
            routes.put("/" + file.gzName(), serve(Files.readAllBytes(system.resolve(file.gzName()))));
        }
        Path cache = tmp.resolve("cache");
        FashionMnist f = new FashionMnist().withDataVariable(null).withCacheDirectory(cache)
                .withSystemDirectory(null).withMirror(mirror);
        ImageDataset test = f.load(Split.TEST);
        assertEquals(10_000, test.size());
        assertEquals(List.of("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                "train-labels-idx1-ubyte.gz"), listing(cache));
        assertEquals(4, requests.size());
        // Found in the cache from now on.
        assertEquals(cache, f.locate());
        assertEquals(4, requests.size());
    }
}
