package dev.gather.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

/**
 * The root appender's encoder: the {@code text} one or the {@code json} one (both set in {@code logback.xml}),
 * whichever {@link Logs#format()} names when an event is written. Logback is configured before gather has read
 * {@code log.format}; switching an encoder, unlike reloading the configuration, leaves every appender (and any
 * that a test or an operator attached) as it is.
 */
public final class FormatEncoder extends EncoderBase<ILoggingEvent> {
  private Encoder<ILoggingEvent> text;
  private Encoder<ILoggingEvent> json;

  public void setText(Encoder<ILoggingEvent> text) {
    this.text = text;
  }

  public void setJson(Encoder<ILoggingEvent> json) {
    this.json = json;
  }

  private Encoder<ILoggingEvent> current() {
    return Logs.format() == dev.gather.config.LogConfig.Format.JSON ? json : text;
  }

  @Override
  public void start() {
    if (text == null || json == null) {
      addError("FormatEncoder needs both a <text> and a <json> encoder");
      return;
    }
    for (Encoder<ILoggingEvent> encoder : java.util.List.of(text, json)) {
      if (!encoder.isStarted()) {
        encoder.start();
      }
    }
    super.start();
  }

  @Override
  public void stop() {
    text.stop();
    json.stop();
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return current().headerBytes();
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    return current().encode(event);
  }

  @Override
  public byte[] footerBytes() {
    return current().footerBytes();
  }
}
