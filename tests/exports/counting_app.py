"""The app with every campaign-feed build counted, for tests that serve it with gunicorn:
each build appends its worker's pid to the file FEED_TEST_BUILD_LOG names and takes at
least FEED_TEST_BUILD_SECONDS, so requests arriving together really overlap it."""

import os
import time

from campaign import create_app as create_campaign_app
from campaign.exports import feeds


def create_app():
    real = feeds.feed_events

    def counted(campaign, filters, now):
        with open(os.environ["FEED_TEST_BUILD_LOG"], "a") as log:
            log.write(f"{os.getpid()}\n")
        time.sleep(float(os.environ.get("FEED_TEST_BUILD_SECONDS", "0")))
        return real(campaign, filters, now)

    feeds.feed_events = counted
    return create_campaign_app()
