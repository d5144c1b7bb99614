package dev.workloadidentity.spring.testsupport.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.jspecify.annotations.Nullable;

/**
 * A TCP route on loopback to a real server that a test can break the way networks break: refuse connections,
 * black-hole them (accept, never answer, not even a TLS handshake), or delay them; and then mend. TLS passes
 * through untouched, so clients still talk to the real server and check its certificate.
 * <p>
 * Every change of state drops the connections open through the route, as a failing network does, so pooled
 * keep-alive connections cannot carry clients past a fault.
 */
public final class FaultyRoute implements AutoCloseable {

    /** What the route does with a connection. */
    public enum State {

        /** Forwards it to the server. */
        UP,

        /** Nothing listens on the port: the connection is refused. */
        REFUSING,

        /** Accepts it and never answers. */
        BLACK_HOLE,

        /** Forwards it after {@link #delay(Duration)}. */
        SLOW

    }

    /** Below Linux's default ephemeral range (32768 to 60999). */
    private static final int LOWEST_PORT = 20000;

    private static final int PORTS = 12000;

    private final InetSocketAddress target;

    private final int port;

    private final List<Socket> open = new CopyOnWriteArrayList<>();

    private final AtomicInteger connections = new AtomicInteger();

    private volatile State state = State.UP;

    private volatile Duration delay = Duration.ZERO;

    private @Nullable ServerSocket listener;

    private @Nullable Thread acceptor;

    private FaultyRoute(InetSocketAddress target) {
        this.target = target;
        ServerSocket listener = listenBelowEphemeralPorts();
        this.port = listener.getLocalPort();
        this.listener = listener;
        this.acceptor = startAccepting(listener);
    }

    /**
     * @param targetPort the loopback port of the real server
     * @return a route that forwards to it, up
     */
    public static FaultyRoute to(int targetPort) {
        return new FaultyRoute(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
    }

    /** @return the route's own port */
    public int port() {
        return this.port;
    }

    /** @return {@code https://127.0.0.1:<port>/} */
    public String httpsUrl() {
        return "https://127.0.0.1:" + this.port + "/";
    }

    /** @return how many connections clients have opened to the route, accepted or not by the state */
    public int connections() {
        return this.connections.get();
    }

    /** @return what it does now */
    public State state() {
        return this.state;
    }

    /** Forwards connections again. */
    public synchronized void up() {
        change(State.UP);
    }

    /** Refuses connections, as a host with nothing listening does. */
    public synchronized void refuse() {
        change(State.REFUSING);
    }

    /** Accepts connections and never answers. */
    public synchronized void blackHole() {
        change(State.BLACK_HOLE);
    }

    /**
     * Forwards connections only after a delay.
     * @param delay how long each new connection waits before its first byte reaches the server
     */
    public synchronized void delay(Duration delay) {
        this.delay = delay;
        change(State.SLOW);
    }

    private void change(State next) {
        this.state = next;
        dropOpenConnections();
        if (next == State.REFUSING && this.listener != null) {
            stopListening();
        }
        else if (next != State.REFUSING && this.listener == null) {
            ServerSocket listener = listen(this.port);
            this.listener = listener;
            this.acceptor = startAccepting(listener);
        }
    }

    /**
     * Closes the listener and waits for its accepting thread to end: a socket closed while a thread is blocked in
     * accept stays listening until that thread wakes up, and would take a connection meant to be refused.
     */
    private void stopListening() {
        closeQuietly(this.listener);
        this.listener = null;
        if (this.acceptor != null) {
            try {
                this.acceptor.join(5_000);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            this.acceptor = null;
        }
    }

    /**
     * A port the kernel never hands out on its own. While refusing, nothing listens on the route's port; were it an
     * ephemeral port, a client connecting to it could be given that same port as its own, and Linux would then
     * connect the socket to itself instead of refusing it.
     */
    private ServerSocket listenBelowEphemeralPorts() {
        UncheckedIOException last = null;
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                return listen(LOWEST_PORT + ThreadLocalRandom.current().nextInt(PORTS));
            }
            catch (UncheckedIOException ex) {
                last = ex;
            }
        }
        throw last;
    }

    private ServerSocket listen(int port) {
        try {
            ServerSocket listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
            return listener;
        }
        catch (IOException ex) {
            throw new UncheckedIOException("Could not listen on loopback port " + port, ex);
        }
    }

    private Thread startAccepting(ServerSocket listener) {
        return daemon("faulty-route-" + this.port, () -> {
            try {
                while (true) {
                    Socket client = listener.accept();
                    this.connections.incrementAndGet();
                    this.open.add(client);
                    if (this.state != State.BLACK_HOLE) {
                        daemon("faulty-route-" + this.port + "-connection", () -> forward(client, this.delay));
                    }
                }
            }
            catch (IOException ex) {
                // The listener closed: refusing, or the route closed.
            }
        });
    }

    private void forward(Socket client, Duration delay) {
        try (Socket server = new Socket()) {
            this.open.add(server);
            if (this.state == State.SLOW) {
                Thread.sleep(delay.toMillis());
            }
            server.connect(this.target, 5_000);
            daemon("faulty-route-" + this.port + "-upstream", () -> pump(server, client));
            pump(client, server);
        }
        catch (IOException ex) {
            // A side closed.
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        finally {
            closeQuietly(client);
        }
    }

    private static void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int read;
            while ((read = in.read(buffer)) != -1) {
                out.write(buffer, 0, read);
                out.flush();
            }
        }
        catch (IOException ex) {
            // A side closed.
        }
        finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void dropOpenConnections() {
        for (Socket socket : this.open) {
            closeQuietly(socket);
        }
        this.open.clear();
    }

    private static Thread daemon(String name, Runnable task) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        }
        catch (Exception ex) {
            // Closing anyway.
        }
    }

    /** Stops listening and drops every connection. */
    @Override
    public synchronized void close() {
        if (this.listener != null) {
            stopListening();
        }
        this.state = State.REFUSING;
        dropOpenConnections();
    }

}
