"""The edit (issue 25): what is cut from the recording and what is put in it, planned from the transcript as
heard (`plan`), the transcript carried into published time (`transcript`), and the edit written for people and
video editors (`export`). The sound itself is assembled in pipeline.audio.assemble."""
