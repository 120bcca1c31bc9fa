"""Mass texting: campaigns to segments, fired by the scheduler, materialised into the queue."""
