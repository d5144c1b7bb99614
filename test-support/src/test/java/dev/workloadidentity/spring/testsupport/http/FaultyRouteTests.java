package dev.workloadidentity.spring.testsupport.http;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

class FaultyRouteTests {

    private final ServerSocket echo = echoServer();

    private final FaultyRoute route = FaultyRoute.to(this.echo.getLocalPort());

    @AfterEach
    void close() throws IOException {
        this.route.close();
        this.echo.close();
    }

    @Test
    void forwardsWhileUp() throws IOException {
        assertThat(roundTrip("hello")).isEqualTo("hello");
    }

    @Test
    void refusedConnectionsWhileRefusingThenForwardsAgain() throws IOException {
        this.route.refuse();
        assertThatExceptionOfType(ConnectException.class).isThrownBy(() -> roundTrip("hello"));
        this.route.up();
        assertThat(roundTrip("again")).isEqualTo("again");
    }

    @Test
    void blackHoleAcceptsAndNeverAnswers() throws IOException {
        this.route.blackHole();
        assertThatExceptionOfType(SocketTimeoutException.class).isThrownBy(() -> roundTrip("hello"));
        assertThat(this.route.connections()).isEqualTo(1);
    }

    @Test
    void slowRouteAnswersAfterTheDelay() throws IOException {
        this.route.delay(Duration.ofMillis(300));
        long start = System.nanoTime();
        assertThat(roundTrip("hello")).isEqualTo("hello");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void changingStateDropsOpenConnections() throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.route.port())) {
            socket.setSoTimeout(2000);
            write(socket, "first");
            assertThat(read(socket, 5)).isEqualTo("first");
            this.route.blackHole();
            assertThatExceptionOfType(IOException.class).isThrownBy(() -> {
                write(socket, "second");
                if (socket.getInputStream().read() == -1) {
                    throw new IOException("closed");
                }
            });
        }
    }

    private String roundTrip(String text) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), this.route.port())) {
            socket.setSoTimeout(1000);
            write(socket, text);
            return read(socket, text.length());
        }
    }

    private static void write(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static String read(Socket socket, int length) throws IOException {
        byte[] bytes = socket.getInputStream().readNBytes(length);
        if (bytes.length < length) {
            throw new EOFException("The route closed the connection after " + bytes.length + " bytes");
        }
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static ServerSocket echoServer() {
        try {
            ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        Socket client = server.accept();
                        Thread echo = new Thread(() -> {
                            try (client; InputStream in = client.getInputStream()) {
                                in.transferTo(client.getOutputStream());
                            }
                            catch (IOException ex) {
                                // client left
                            }
                        });
                        echo.setDaemon(true);
                        echo.start();
                    }
                }
                catch (IOException ex) {
                    // closed
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            return server;
        }
        catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

}
