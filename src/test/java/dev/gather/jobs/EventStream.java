package dev.gather.jobs;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/** A test's reader of a server-sent event stream: every event parsed as it arrives, and whether the stream ended. */
final class EventStream {
  record Event(long id, String name, JsonObject data) {}

  final List<Event> events = new CopyOnWriteArrayList<>();
  final CompletableFuture<Void> ended = new CompletableFuture<>();
  final HttpClientResponse response;
  private final HttpClient client;
  private final StringBuilder pending = new StringBuilder();

  private EventStream(HttpClient client, HttpClientResponse response) {
    this.client = client;
    this.response = response;
  }

  /** Opens {@code path}; {@code onEvent} sees each event (on an event loop: do not block in it). */
  static EventStream open(Vertx vertx, int port, String path, Consumer<Event> onEvent) throws Exception {
    HttpClient client = vertx.createHttpClient();
    CompletableFuture<EventStream> opened = new CompletableFuture<>();
    // The handlers are set on send()'s own future: a step further down the chain can run after the first events
    // (or the end) have come in, and Vert.x drops what arrives before a handler is set.
    client.request(HttpMethod.GET, port, "127.0.0.1", path)
        .compose(request -> request.putHeader("Accept", "text/event-stream").send()
            .onSuccess(response -> {
              EventStream stream = new EventStream(client, response);
              response.handler(buffer -> stream.read(buffer.toString(), onEvent));
              response.endHandler(v -> stream.ended.complete(null));
              response.exceptionHandler(stream.ended::completeExceptionally);
              opened.complete(stream);
            }))
        .onFailure(opened::completeExceptionally);
    return opened.get(10, TimeUnit.SECONDS);
  }

  private void read(String text, Consumer<Event> onEvent) {
    pending.append(text);
    int end;
    while ((end = pending.indexOf("\n\n")) >= 0) {
      String block = pending.substring(0, end);
      pending.delete(0, end + 2);
      long id = 0;
      String name = null;
      String data = null;
      for (String line : block.split("\n")) {
        if (line.startsWith("id: ")) {
          id = Long.parseLong(line.substring(4));
        } else if (line.startsWith("event: ")) {
          name = line.substring(7);
        } else if (line.startsWith("data: ")) {
          data = line.substring(6);
        }
      }
      if (name != null) {
        Event event = new Event(id, name, new JsonObject(data));
        events.add(event);
        onEvent.accept(event);
      }
    }
  }

  List<String> names() {
    return events.stream().map(Event::name).toList();
  }

  void awaitEnd() throws Exception {
    ended.get(20, TimeUnit.SECONDS);
  }

  void close() {
    client.close();
  }
}
